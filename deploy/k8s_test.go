package deploy_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// k8sDoc is the part of the Kubernetes objects these manifests use,
// decoded strictly: a misspelt field (readOnlyRootFileSystem) fails here
// instead of being dropped, which for a security setting would go unseen.
type k8sDoc struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   k8sMeta           `yaml:"metadata"`
	Type       string            `yaml:"type"`       // Secret
	StringData map[string]string `yaml:"stringData"` // Secret
	Data       map[string]string `yaml:"data"`       // Secret
	Spec       k8sSpec           `yaml:"spec"`

	where string // file and object, for messages
}

type k8sMeta struct {
	Name   string            `yaml:"name"`
	Labels map[string]string `yaml:"labels"`
}

// k8sSpec has the spec fields of every kind used here.
type k8sSpec struct {
	Replicas *int `yaml:"replicas"` // Deployment
	Strategy struct {
		Type string `yaml:"type"`
	} `yaml:"strategy"` // Deployment
	Selector              map[string]any `yaml:"selector"` // Deployment: matchLabels; Service: labels
	Template              *podTemplate   `yaml:"template"` // Deployment, Job
	BackoffLimit          *int           `yaml:"backoffLimit"`
	ActiveDeadlineSeconds *int           `yaml:"activeDeadlineSeconds"`
	ServiceType           string         `yaml:"type"` // Service
	Ports                 []servicePort  `yaml:"ports"`
	PodSelector           *labelSelector `yaml:"podSelector"` // NetworkPolicy
	PolicyTypes           []string       `yaml:"policyTypes"`
	Ingress               []struct {
		From []struct {
			PodSelector *labelSelector `yaml:"podSelector"`
		} `yaml:"from"`
		Ports []npPort `yaml:"ports"`
	} `yaml:"ingress"`
	AccessModes      []string                     `yaml:"accessModes"` // PersistentVolumeClaim
	Resources        map[string]map[string]string `yaml:"resources"`
	StorageClassName *string                      `yaml:"storageClassName"`
}

type npPort struct {
	Protocol string `yaml:"protocol"`
	Port     any    `yaml:"port"` // a number or a port name
}

type envVar struct {
	Name      string  `yaml:"name"`
	Value     *string `yaml:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name string `yaml:"name"`
			Key  string `yaml:"key"`
		} `yaml:"secretKeyRef"`
	} `yaml:"valueFrom"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type servicePort struct {
	Name       string `yaml:"name"`
	Port       int    `yaml:"port"`
	TargetPort any    `yaml:"targetPort"`
	Protocol   string `yaml:"protocol"`
}

type podTemplate struct {
	Metadata k8sMeta `yaml:"metadata"`
	Spec     podSpec `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy                string `yaml:"restartPolicy"`
	AutomountServiceAccountToken *bool  `yaml:"automountServiceAccountToken"`
	EnableServiceLinks           *bool  `yaml:"enableServiceLinks"`
	SecurityContext              struct {
		RunAsNonRoot   *bool  `yaml:"runAsNonRoot"`
		RunAsUser      *int64 `yaml:"runAsUser"`
		RunAsGroup     *int64 `yaml:"runAsGroup"`
		FSGroup        *int64 `yaml:"fsGroup"`
		SeccompProfile struct {
			Type string `yaml:"type"`
		} `yaml:"seccompProfile"`
	} `yaml:"securityContext"`
	TopologySpreadConstraints []any       `yaml:"topologySpreadConstraints"`
	Containers                []container `yaml:"containers"`
	Volumes                   []struct {
		Name                  string `yaml:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
		EmptyDir  any `yaml:"emptyDir"`
		ConfigMap any `yaml:"configMap"`
	} `yaml:"volumes"`
}

type container struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Command         []string `yaml:"command"`
	Args            []string `yaml:"args"`
	Env             []envVar `yaml:"env"`
	Ports           []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
		Protocol      string `yaml:"protocol"`
	} `yaml:"ports"`
	ReadinessProbe any `yaml:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
			Add  []string `yaml:"add"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

// k8sDir holds the manifests. Its *.yaml files are one complete set;
// each subdirectory is a variant whose files replace the ones of the same
// name (continuous/coordinator.yaml for coordinator.yaml).
const k8sDir = "k8s"

func loadManifest(file string) ([]k8sDoc, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var docs []k8sDoc
	for {
		var d k8sDoc
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", file, len(docs)+1, err)
		}
		if d.APIVersion == "" || d.Kind == "" || d.Metadata.Name == "" {
			return nil, fmt.Errorf("%s, document %d: want apiVersion, kind and metadata.name", file, len(docs)+1)
		}
		d.where = fmt.Sprintf("%s: %s/%s", file, d.Kind, d.Metadata.Name)
		docs = append(docs, d)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: no objects", file)
	}
	return docs, nil
}

// k8sSet is what one `kubectl apply` of a complete set creates.
type k8sSet struct {
	name string
	docs []k8sDoc
}

// loadK8sSets reads the base set and each variant.
func loadK8sSets(t *testing.T) []k8sSet {
	t.Helper()
	base, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(base) == 0 {
		t.Fatalf("no manifests in %s (%v)", k8sDir, err)
	}
	sets := [][]string{base}
	names := []string{k8sDir}
	entries, err := os.ReadDir(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		variant, _ := filepath.Glob(filepath.Join(k8sDir, e.Name(), "*.yaml"))
		if len(variant) == 0 {
			t.Errorf("%s/%s holds no manifests", k8sDir, e.Name())
			continue
		}
		files := slices.DeleteFunc(slices.Clone(base), func(b string) bool {
			return slices.ContainsFunc(variant, func(v string) bool { return filepath.Base(v) == filepath.Base(b) })
		})
		sets = append(sets, append(files, variant...))
		names = append(names, filepath.Join(k8sDir, e.Name()))
	}
	var out []k8sSet
	for i, files := range sets {
		set := k8sSet{name: names[i]}
		seen := map[string]string{}
		for _, f := range files {
			docs, err := loadManifest(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				key := d.Kind + "/" + d.Metadata.Name
				if prev, ok := seen[key]; ok {
					t.Errorf("set %s: %s is in both %s and %s", set.name, key, prev, f)
				}
				seen[key] = f
			}
			set.docs = append(set.docs, docs...)
		}
		out = append(out, set)
	}
	return out
}

// workload is a pod template's container, with what it runs.
type workload struct {
	doc  k8sDoc
	pod  *podTemplate
	c    container
	inv  invocation
	key  string   // "loadgen coordinator", "albumsvc", ...
	args []string // after the subcommand
}

func workloads(docs []k8sDoc, img image) ([]workload, error) {
	var ws []workload
	for _, d := range docs {
		if d.Spec.Template == nil {
			continue
		}
		for _, c := range d.Spec.Template.Spec.Containers {
			where := d.where + " container " + c.Name
			prog, pre, err := program(c.Command, img)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			inv := invocation{where: where, program: prog, args: append(pre, c.Args...)}
			for _, e := range c.Env {
				inv.env = append(inv.env, e.Name)
			}
			key, args := inv.command()
			ws = append(ws, workload{doc: d, pod: d.Spec.Template, c: c, inv: inv, key: key, args: args})
		}
	}
	return ws, nil
}

// matches reports whether a selector selects pods with these labels.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false // an empty selector selects everything: never wanted here
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// serviceSelector returns a Service's selector as labels.
func serviceSelector(d k8sDoc) map[string]string {
	sel := map[string]string{}
	for k, v := range d.Spec.Selector {
		if s, ok := v.(string); ok {
			sel[k] = s
		}
	}
	return sel
}

// targetPort resolves a Service port's target to a container port number.
func targetPort(p servicePort, c container) int {
	switch tp := p.TargetPort.(type) {
	case nil:
		return p.Port
	case int:
		return tp
	case string:
		for _, cp := range c.Ports {
			if cp.Name == tp {
				return cp.ContainerPort
			}
		}
	}
	return -1
}

// serviceFor finds the one Service that selects w's pods and has a port
// leading to containerPort; it returns the Service and that port.
func serviceFor(t *testing.T, set k8sSet, w workload, containerPort int) (k8sDoc, int) {
	t.Helper()
	var found []k8sDoc
	port := 0
	for _, d := range set.docs {
		if d.Kind != "Service" || !matches(serviceSelector(d), w.pod.Metadata.Labels) {
			continue
		}
		for _, p := range d.Spec.Ports {
			if targetPort(p, w.c) == containerPort {
				found = append(found, d)
				port = p.Port
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("set %s: want one Service leading to port %d of %s, found %d", set.name, containerPort, w.inv.where, len(found))
	}
	return found[0], port
}

func TestKubernetes(t *testing.T) {
	img := loadImage(t)
	compose := loadCompose(t)
	wantImage, err := interpolate(compose.Services["coordinator"].Image, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range loadK8sSets(t) {
		t.Run(set.name, func(t *testing.T) {
			checkK8sSet(t, set, img, wantImage)
		})
	}
}

func checkK8sSet(t *testing.T, set k8sSet, img image, wantImage string) {
	ws, err := workloads(set.docs, img)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]k8sDoc{}
	for _, d := range set.docs {
		switch d.Kind {
		case "Secret":
			secrets[d.Metadata.Name] = d
			// A token in the repository would be known to everyone.
			for k, v := range d.StringData {
				if v != "" {
					t.Errorf("%s: stringData.%s holds a value; a committed token is a public one", d.where, k)
				}
			}
			if len(d.Data) > 0 {
				t.Errorf("%s: data holds values; a committed token is a public one", d.where)
			}
		case "Ingress":
			t.Errorf("%s: nothing here may be reachable from outside the cluster", d.where)
		}
	}

	byKey := map[string][]workload{}
	for _, w := range ws {
		byKey[w.key] = append(byKey[w.key], w)
		checkContainer(t, w, img, wantImage, secrets)
	}
	for _, key := range []string{"loadgen coordinator", "loadgen worker", "albumsvc"} {
		if len(byKey[key]) != 1 {
			t.Fatalf("want one container running %s, found %d", key, len(byKey[key]))
		}
	}
	coord, worker, target := byKey["loadgen coordinator"][0], byKey["loadgen worker"][0], byKey["albumsvc"][0]

	switch coord.doc.Kind {
	case "Job":
		// A retry would be a new test from zero.
		if b := coord.doc.Spec.BackoffLimit; b == nil || *b != 0 || coord.pod.Spec.RestartPolicy != "Never" {
			t.Errorf("%s: want backoffLimit: 0 and restartPolicy: Never", coord.doc.where)
		}
	case "Deployment":
		// Never two coordinators, not even during a rollout.
		if r := coord.doc.Spec.Replicas; r == nil || *r != 1 || coord.doc.Spec.Strategy.Type != "Recreate" {
			t.Errorf("%s: want replicas: 1 and strategy Recreate", coord.doc.where)
		}
	default:
		t.Errorf("%s: the coordinator should be a Job or a Deployment", coord.doc.where)
	}
	if worker.doc.Kind != "Deployment" {
		t.Errorf("%s: the workers should be a Deployment", worker.doc.where)
	}
	expect, _ := flagValue(coord.args, "expect-workers")
	if r := worker.doc.Spec.Replicas; r == nil || strconv.Itoa(*r) != expect {
		got := "unset"
		if r != nil {
			got = strconv.Itoa(*r)
		}
		t.Errorf("%s: replicas %s, but the coordinator's --expect-workers is %q", worker.doc.where, got, expect)
	}

	// The token comes from one Secret for both.
	ref := func(w workload) string {
		for _, e := range w.c.Env {
			if e.Name == "LOADGEN_TOKEN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				return e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
			}
		}
		return ""
	}
	if ref(coord) == "" || ref(coord) != ref(worker) {
		t.Errorf("LOADGEN_TOKEN: the coordinator's comes from %q and the workers' from %q; want both from one Secret key", ref(coord), ref(worker))
	}

	// Workers reach the coordinator through its Service, and only they may.
	listenHost, listenPort := splitAddr(t, coord.inv.where, coord.args, "listen")
	if ip := net.ParseIP(listenHost); ip != nil && ip.IsLoopback() {
		t.Errorf("%s: --listen %s is loopback, out of the workers' reach", coord.inv.where, listenHost)
	}
	port, _ := strconv.Atoi(listenPort)
	svc, svcPort := serviceFor(t, set, coord, port)
	if svc.Spec.ServiceType != "" && svc.Spec.ServiceType != "ClusterIP" {
		t.Errorf("%s: type %s exposes the control port outside the cluster; want ClusterIP", svc.where, svc.Spec.ServiceType)
	}
	if matches(serviceSelector(svc), worker.pod.Metadata.Labels) {
		t.Errorf("%s: selects the worker pods too", svc.where)
	}
	checkURL(t, worker.inv.where+" --coordinator", worker.args, "coordinator", svc.Metadata.Name, strconv.Itoa(svcPort))
	checkNetworkPolicy(t, set, coord, worker, port)

	// The coordinator reaches the target through its Service.
	_, addrPort := splitAddr(t, target.inv.where, target.args, "addr")
	tport, _ := strconv.Atoi(addrPort)
	tsvc, tsvcPort := serviceFor(t, set, target, tport)
	checkURL(t, coord.inv.where+" --host", coord.args, "host", tsvc.Metadata.Name, strconv.Itoa(tsvcPort))

	// Result files go to a volume, the root filesystem being read-only.
	var mounts []string
	for _, m := range coord.c.VolumeMounts {
		if !m.ReadOnly {
			mounts = append(mounts, m.MountPath)
		}
	}
	checkOutputs(t, coord.inv.where, coord.args, mounts)
}

// checkContainer checks what every container needs: the one image, a
// program it has, limits, a locked-down security context, and settings
// and secrets that exist.
func checkContainer(t *testing.T, w workload, img image, wantImage string, secrets map[string]k8sDoc) {
	where, c, pod := w.inv.where, w.c, w.pod.Spec
	if c.Image != wantImage {
		t.Errorf("%s: image %q; want %q, the image docker-compose.yml builds", where, c.Image, wantImage)
	}
	for _, kind := range []string{"cpu", "memory"} {
		if c.Resources.Requests[kind] == "" || c.Resources.Limits[kind] == "" {
			t.Errorf("%s: want resources.requests and resources.limits for %s", where, kind)
		}
	}
	sc := c.SecurityContext
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		!slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: want allowPrivilegeEscalation: false, readOnlyRootFilesystem: true and capabilities.drop: [ALL]", where)
	}
	psc := pod.SecurityContext
	if (psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot) && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
		t.Errorf("%s: want runAsNonRoot: true", where)
	}
	if psc.RunAsUser != nil && *psc.RunAsUser != img.uid {
		t.Errorf("%s: runAsUser %d, but the image's USER is %d (the owner of /results)", where, *psc.RunAsUser, img.uid)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: want automountServiceAccountToken: false; nothing here talks to the API server", where)
	}
	// Service links put <SERVICE>_PORT=tcp://... variables in every pod,
	// in the namespace the binaries read their settings from.
	if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
		t.Errorf("%s: want enableServiceLinks: false", where)
	}
	if _, ok := flagValue(w.args, "token"); ok {
		t.Errorf("%s: --token in args is visible in the pod spec and ps; use LOADGEN_TOKEN from a Secret", where)
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			r := e.ValueFrom.SecretKeyRef
			s, ok := secrets[r.Name]
			_, inString := s.StringData[r.Key]
			_, inData := s.Data[r.Key]
			if !ok || !inString && !inData {
				t.Errorf("%s: %s comes from secret %s key %s, which no Secret here has", where, e.Name, r.Name, r.Key)
			}
		}
		if strings.Contains(e.Name, "TOKEN") && e.Value != nil {
			t.Errorf("%s: %s has a literal value; a token must come from a Secret", where, e.Name)
		}
	}
	if w.inv.program == "loadgen" && !slices.ContainsFunc(c.Env, func(e envVar) bool {
		return e.Name == "LOADGEN_TOKEN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil
	}) {
		t.Errorf("%s: want LOADGEN_TOKEN from a secretKeyRef", where)
	}
}

// checkNetworkPolicy checks that a NetworkPolicy lets only the worker pods
// reach the coordinator's control port.
func checkNetworkPolicy(t *testing.T, set k8sSet, coord, worker workload, port int) {
	found := false
	for _, d := range set.docs {
		if d.Kind != "NetworkPolicy" || d.Spec.PodSelector == nil || !matches(d.Spec.PodSelector.MatchLabels, coord.pod.Metadata.Labels) {
			continue
		}
		found = true
		if !slices.Contains(d.Spec.PolicyTypes, "Ingress") || len(d.Spec.Ingress) == 0 {
			t.Errorf("%s: want policyTypes [Ingress] with rules", d.where)
		}
		for _, rule := range d.Spec.Ingress {
			if len(rule.From) == 0 {
				t.Errorf("%s: an ingress rule without from admits every pod", d.where)
			}
			for _, from := range rule.From {
				if from.PodSelector == nil || !matches(from.PodSelector.MatchLabels, worker.pod.Metadata.Labels) ||
					matches(from.PodSelector.MatchLabels, coord.pod.Metadata.Labels) {
					t.Errorf("%s: admits pods other than the workers", d.where)
				}
			}
			if !slices.ContainsFunc(rule.Ports, func(p npPort) bool {
				return p.Port == port
			}) {
				t.Errorf("%s: a rule without port %d", d.where, port)
			}
		}
	}
	if !found {
		t.Errorf("no NetworkPolicy limits who reaches the coordinator's control port")
	}
}
