package deploy_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	k8sjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// k8sDir holds the manifests. Its *.yaml files are one complete set;
// each subdirectory is a variant whose files replace the ones of the same
// name (continuous/coordinator.yaml for coordinator.yaml).
const k8sDir = "k8s"

// The image every manifest runs, as `make image` tags it, and the user
// its Dockerfiles set, who owns /results.
const (
	k8sImage = "loadgen:dev"
	imageUID = 65532
)

// k8sObject is one decoded document of a manifest file.
type k8sObject struct {
	where string // file: Kind/name, for messages
	obj   runtime.Object
}

// k8sDecoder decodes YAML into the Kubernetes API's own types, strictly,
// as the API server does with fieldValidation=Strict: an unknown field
// (readOnlyRootFileSystem), a duplicate one, a value of the wrong type or
// an unknown kind is an error rather than silently dropped, which for a
// security setting would go unseen.
func k8sDecoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return k8sjson.NewSerializerWithOptions(k8sjson.DefaultMetaFactory, scheme, scheme,
		k8sjson.SerializerOptions{Yaml: true, Strict: true})
}

// loadManifest decodes every document of a manifest file.
func loadManifest(dec runtime.Decoder, file string) ([]k8sObject, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var objs []k8sObject
	for n := 1; ; n++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", file, n, err)
		}
		if j, err := yaml.YAMLToJSON(doc); err == nil && string(j) == "null" {
			continue // comments only
		}
		obj, gvk, err := dec.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", file, n, err)
		}
		meta, ok := obj.(metav1.Object)
		if !ok || meta.GetName() == "" {
			return nil, fmt.Errorf("%s, document %d: no metadata.name", file, n)
		}
		objs = append(objs, k8sObject{where: fmt.Sprintf("%s: %s/%s", file, gvk.Kind, meta.GetName()), obj: obj})
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("%s: no objects", file)
	}
	return objs, nil
}

// k8sSet is what one `kubectl apply` of a complete set creates.
type k8sSet struct {
	name string
	objs []k8sObject
}

// loadK8sSets reads the base set and each variant.
func loadK8sSets(t *testing.T) []k8sSet {
	t.Helper()
	dec := k8sDecoder(t)
	base, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(base) == 0 {
		t.Fatalf("no manifests in %s (%v)", k8sDir, err)
	}
	sets := map[string][]string{k8sDir: base}
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
		sets[filepath.Join(k8sDir, e.Name())] = append(files, variant...)
	}
	var out []k8sSet
	for name, files := range sets {
		set := k8sSet{name: name}
		seen := map[string]string{}
		for _, f := range files {
			objs, err := loadManifest(dec, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				key := strings.TrimPrefix(o.where, f+": ")
				if prev, ok := seen[key]; ok {
					t.Errorf("set %s: %s is in both %s and %s", name, key, prev, f)
				}
				seen[key] = f
			}
			set.objs = append(set.objs, objs...)
		}
		out = append(out, set)
	}
	slices.SortFunc(out, func(a, b k8sSet) int { return strings.Compare(a.name, b.name) })
	return out
}

// workload is one container of a pod template, with what it runs.
type workload struct {
	owner k8sObject
	pod   *corev1.PodTemplateSpec
	c     corev1.Container
	where string
	inv   *invocation
}

// secretStandIn is the value a variable from a Secret gets when the
// container's command line is parsed.
const secretStandIn = "from-a-secret"

func workloads(t *testing.T, set k8sSet) []workload {
	t.Helper()
	var ws []workload
	for _, o := range set.objs {
		var pod *corev1.PodTemplateSpec
		switch obj := o.obj.(type) {
		case *appsv1.Deployment:
			pod = &obj.Spec.Template
		case *batchv1.Job:
			pod = &obj.Spec.Template
		default:
			continue
		}
		for _, c := range pod.Spec.Containers {
			w := workload{owner: o, pod: pod, c: c, where: o.where + " container " + c.Name}
			// The image's entrypoint is /loadgen; albumsvc is given as the
			// command.
			argv := append(slices.Clone(c.Command), c.Args...)
			if len(c.Command) == 0 {
				argv = append([]string{"/loadgen"}, c.Args...)
			}
			env := map[string]string{}
			for _, e := range c.Env {
				env[e.Name] = e.Value
				if e.ValueFrom != nil {
					env[e.Name] = secretStandIn
				}
			}
			w.inv = &invocation{where: w.where, argv: argv, env: env}
			if err := w.inv.parse(); err != nil {
				t.Fatal(err)
			}
			ws = append(ws, w)
		}
	}
	return ws
}

// selects reports whether a Service's selector selects these pods; an
// empty selector would select every pod, which is never meant here.
func selects(selector map[string]string, pod *corev1.PodTemplateSpec) bool {
	return len(selector) > 0 && labels.SelectorFromSet(selector).Matches(labels.Set(pod.Labels))
}

// serviceFor finds the one Service that selects w's pods and has a port
// leading to containerPort; it returns the Service and that port.
func serviceFor(t *testing.T, set k8sSet, w workload, containerPort int) (*corev1.Service, string) {
	t.Helper()
	var found []*corev1.Service
	port := 0
	for _, o := range set.objs {
		svc, ok := o.obj.(*corev1.Service)
		if !ok || !selects(svc.Spec.Selector, w.pod) {
			continue
		}
		for _, p := range svc.Spec.Ports {
			target := p.TargetPort
			if target.Type == intstr.String {
				for _, cp := range w.c.Ports {
					if cp.Name == target.StrVal {
						target = intstr.FromInt32(cp.ContainerPort)
					}
				}
			} else if target.IntVal == 0 {
				target = intstr.FromInt32(p.Port)
			}
			if target.Type == intstr.Int && int(target.IntVal) == containerPort {
				found = append(found, svc)
				port = int(p.Port)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("set %s: want one Service leading to port %d of %s, found %d", set.name, containerPort, w.where, len(found))
	}
	return found[0], strconv.Itoa(port)
}

// TestKubernetes decodes every manifest strictly into the Kubernetes API's
// types and checks each complete set: hardened containers, the token from
// one Secret, the wiring between coordinator, workers and target, who may
// reach the control port, and where the results go.
func TestKubernetes(t *testing.T) {
	for _, set := range loadK8sSets(t) {
		t.Run(set.name, func(t *testing.T) { checkK8sSet(t, set) })
	}
}

// TestKubernetesStrict shows that the decoding the manifests pass is
// strict: each of these slips fails it.
func TestKubernetesStrict(t *testing.T) {
	dec := k8sDecoder(t)
	good := "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  type: ClusterIP\n"
	for _, bad := range []string{
		strings.Replace(good, "type: ClusterIP", "tpye: ClusterIP", 1),                 // unknown field
		good + "  type: NodePort\n",                                                    // duplicate field
		strings.Replace(good, "kind: Service", "kind: Servise", 1),                     // unknown kind
		strings.Replace(good, "spec:\n  type: ClusterIP", "spec:\n  ports: 80", 1),     // wrong type
		strings.Replace(good, "apiVersion: v1", "apiVersion: networking.k8s.io/v1", 1), // kind not in that group
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "m.yaml")
		if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := loadManifest(dec, file); err == nil {
			t.Errorf("decoded without error:\n%s", bad)
		}
	}
	file := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(file, []byte("# a comment\n---\n"+good), 0o644); err != nil {
		t.Fatal(err)
	}
	if objs, err := loadManifest(dec, file); err != nil || len(objs) != 1 {
		t.Errorf("a good manifest: %d objects, %v", len(objs), err)
	}
}

func checkK8sSet(t *testing.T, set k8sSet) {
	secrets := map[string]*corev1.Secret{}
	for _, o := range set.objs {
		switch obj := o.obj.(type) {
		case *corev1.Secret:
			secrets[obj.Name] = obj
			// A token in the repository would be known to everyone.
			for k, v := range obj.StringData {
				if v != "" {
					t.Errorf("%s: stringData.%s holds a value; a committed token is a public one", o.where, k)
				}
			}
			if len(obj.Data) > 0 {
				t.Errorf("%s: data holds values; a committed token is a public one", o.where)
			}
		case *networkingv1.Ingress:
			t.Errorf("%s: nothing here may be reachable from outside the cluster", o.where)
		case *appsv1.Deployment:
			if sel, err := metav1.LabelSelectorAsSelector(obj.Spec.Selector); err != nil || sel.Empty() || !sel.Matches(labels.Set(obj.Spec.Template.Labels)) {
				t.Errorf("%s: the selector does not select the Deployment's own pods (%v)", o.where, err)
			}
		case *corev1.Service:
			if obj.Spec.Type != "" && obj.Spec.Type != corev1.ServiceTypeClusterIP {
				t.Errorf("%s: type %s is reachable from outside the cluster; want ClusterIP", o.where, obj.Spec.Type)
			}
		}
	}

	byKey := map[string][]workload{}
	for _, w := range workloads(t, set) {
		byKey[w.inv.key] = append(byKey[w.inv.key], w)
		checkContainer(t, w, secrets)
	}
	for _, key := range []string{"loadgen coordinator", "loadgen worker", "albumsvc"} {
		if len(byKey[key]) != 1 {
			t.Fatalf("want one container running %s, found %d", key, len(byKey[key]))
		}
	}
	coord, worker, target := byKey["loadgen coordinator"][0], byKey["loadgen worker"][0], byKey["albumsvc"][0]

	switch obj := coord.owner.obj.(type) {
	case *batchv1.Job:
		// A retry would be a new test from zero.
		if b := obj.Spec.BackoffLimit; b == nil || *b != 0 || obj.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: want backoffLimit: 0 and restartPolicy: Never", coord.owner.where)
		}
	case *appsv1.Deployment:
		// Never two coordinators, not even during a rollout.
		if r := obj.Spec.Replicas; r == nil || *r != 1 || obj.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			t.Errorf("%s: want replicas: 1 and strategy Recreate", coord.owner.where)
		}
	}
	workers, ok := worker.owner.obj.(*appsv1.Deployment)
	if !ok {
		t.Fatalf("%s: the workers should be a Deployment", worker.owner.where)
	}
	expect := coord.inv.value(t, "expect-workers")
	replicas := "unset"
	if r := workers.Spec.Replicas; r != nil {
		replicas = strconv.Itoa(int(*r))
	}
	if replicas != expect {
		t.Errorf("%s: replicas %s, but the coordinator's --expect-workers is %q", worker.owner.where, replicas, expect)
	}

	// The token comes from one Secret for both.
	if a, b := tokenRef(coord.c), tokenRef(worker.c); a == "" || a != b {
		t.Errorf("LOADGEN_TOKEN: the coordinator's comes from %q and the workers' from %q; want both from one Secret key", a, b)
	}

	// Workers reach the coordinator through its Service, and only they may.
	port, _ := strconv.Atoi(listenPort(t, coord.inv, "listen"))
	svc, svcPort := serviceFor(t, set, coord, port)
	if selects(svc.Spec.Selector, worker.pod) {
		t.Errorf("Service %s selects the worker pods too", svc.Name)
	}
	checkURL(t, worker.inv, "coordinator", svc.Name, svcPort)
	checkNetworkPolicy(t, set, coord, worker, port)

	// The coordinator reaches the target through its Service.
	tport, _ := strconv.Atoi(listenPort(t, target.inv, "addr"))
	tsvc, tsvcPort := serviceFor(t, set, target, tport)
	checkURL(t, coord.inv, "host", tsvc.Name, tsvcPort)

	// Result files go to a volume, the root filesystem being read-only.
	for _, flag := range []string{"csv", "json"} {
		v := coord.inv.value(t, flag)
		if v == "" {
			t.Errorf("%s: no --%s", coord.where, flag)
			continue
		}
		if !slices.ContainsFunc(coord.c.VolumeMounts, func(m corev1.VolumeMount) bool {
			return !m.ReadOnly && strings.HasPrefix(filepath.Dir(v)+"/", filepath.Clean(m.MountPath)+"/")
		}) {
			t.Errorf("%s: --%s %s is not on a writable volume", coord.where, flag, v)
		}
	}
}

// tokenRef names the Secret key LOADGEN_TOKEN comes from.
func tokenRef(c corev1.Container) string {
	for _, e := range c.Env {
		if e.Name == "LOADGEN_TOKEN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			return e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		}
	}
	return ""
}

// checkContainer checks what every container needs: the one image,
// limits, a locked-down security context, and secrets that exist.
func checkContainer(t *testing.T, w workload, secrets map[string]*corev1.Secret) {
	where, c, pod := w.where, w.c, w.pod.Spec
	if c.Image != k8sImage {
		t.Errorf("%s: image %q; want %q, the image make image builds", where, c.Image, k8sImage)
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			t.Errorf("%s: no resources.requests.%s", where, res)
		}
		if _, ok := c.Resources.Limits[res]; !ok {
			t.Errorf("%s: no resources.limits.%s", where, res)
		}
	}
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		t.Errorf("%s: want allowPrivilegeEscalation: false, readOnlyRootFilesystem: true and capabilities.drop: [ALL]", where)
	}
	psc := pod.SecurityContext
	nonRoot := psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot || sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot
	if !nonRoot {
		t.Errorf("%s: want runAsNonRoot: true", where)
	}
	if psc != nil && psc.RunAsUser != nil && *psc.RunAsUser != imageUID {
		t.Errorf("%s: runAsUser %d, but the image's user is %d (the owner of /results)", where, *psc.RunAsUser, imageUID)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: want automountServiceAccountToken: false; nothing here talks to the API server", where)
	}
	// Service links put <SERVICE>_PORT=tcp://... variables in every pod,
	// in the namespaces the binaries read their settings from.
	if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
		t.Errorf("%s: want enableServiceLinks: false", where)
	}
	checkToken(t, w.inv)
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
		if strings.Contains(e.Name, "TOKEN") && e.Value != "" {
			t.Errorf("%s: %s has a literal value; a token must come from a Secret", where, e.Name)
		}
	}
	if strings.HasPrefix(w.inv.key, "loadgen ") && tokenRef(c) == "" {
		t.Errorf("%s: want LOADGEN_TOKEN from a secretKeyRef", where)
	}
}

// checkNetworkPolicy checks that a NetworkPolicy lets only the worker pods
// reach the coordinator's control port.
func checkNetworkPolicy(t *testing.T, set k8sSet, coord, worker workload, port int) {
	found := false
	for _, o := range set.objs {
		np, ok := o.obj.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil {
			t.Errorf("%s: %v", o.where, err)
			continue
		}
		if sel.Empty() || !sel.Matches(labels.Set(coord.pod.Labels)) {
			continue
		}
		found = true
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || len(np.Spec.Ingress) == 0 {
			t.Errorf("%s: want policyTypes [Ingress] with rules", o.where)
		}
		for _, rule := range np.Spec.Ingress {
			if len(rule.From) == 0 {
				t.Errorf("%s: an ingress rule without from admits every pod", o.where)
			}
			for _, from := range rule.From {
				fsel, err := metav1.LabelSelectorAsSelector(from.PodSelector)
				if from.PodSelector == nil || from.NamespaceSelector != nil || from.IPBlock != nil || err != nil ||
					fsel.Empty() || !fsel.Matches(labels.Set(worker.pod.Labels)) || fsel.Matches(labels.Set(coord.pod.Labels)) {
					t.Errorf("%s: admits pods other than the workers", o.where)
				}
			}
			if !slices.ContainsFunc(rule.Ports, func(p networkingv1.NetworkPolicyPort) bool {
				return p.Port != nil && p.Port.Type == intstr.Int && int(p.Port.IntVal) == port
			}) {
				t.Errorf("%s: a rule without port %d", o.where, port)
			}
		}
	}
	if !found {
		t.Errorf("no NetworkPolicy limits who reaches the coordinator's control port")
	}
}
