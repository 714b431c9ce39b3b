package deploy_test

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeProject is the part of the Compose model these files use. It is
// decoded strictly, as Compose itself does, so a misspelt key (read_onyl)
// fails here instead of being ignored.
type composeProject struct {
	Name       string                    `yaml:"name"`
	Services   map[string]composeService `yaml:"services"`
	Volumes    map[string]any            `yaml:"volumes"`
	Extensions map[string]any            `yaml:",inline"` // x-... anchors
}

type composeService struct {
	Image         string            `yaml:"image"`
	Build         composeBuild      `yaml:"build"`
	Entrypoint    []string          `yaml:"entrypoint"`
	Command       []string          `yaml:"command"`
	Environment   map[string]string `yaml:"environment"`
	Volumes       []string          `yaml:"volumes"`
	Ports         []any             `yaml:"ports"`
	Expose        []any             `yaml:"expose"`
	NetworkMode   string            `yaml:"network_mode"`
	ContainerName string            `yaml:"container_name"`
	ReadOnly      bool              `yaml:"read_only"`
	CapDrop       []string          `yaml:"cap_drop"`
	SecurityOpt   []string          `yaml:"security_opt"`
	DependsOn     []string          `yaml:"depends_on"`
	Restart       string            `yaml:"restart"`
	Deploy        struct {
		Replicas string `yaml:"replicas"`
	} `yaml:"deploy"`
}

type composeBuild struct {
	Context    string `yaml:"context"`
	Dockerfile string `yaml:"dockerfile"`
}

const composeFile = "docker-compose.yml"

func loadCompose(t *testing.T) composeProject {
	t.Helper()
	f, err := os.Open(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var p composeProject
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("%s: %v", composeFile, err)
	}
	for k := range p.Extensions {
		if !strings.HasPrefix(k, "x-") {
			t.Errorf("%s: unknown top-level key %q (only x- extensions may be added)", composeFile, k)
		}
	}
	return p
}

// flagValue returns the value of --name in args, given as --name=v or
// --name v, and whether it is there.
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

// program is what a container runs: its own entrypoint or command, or the
// image's. Both must be installed by the Dockerfile.
func program(override []string, img image) (string, []string, error) {
	argv := override
	if len(argv) == 0 {
		argv = img.entrypoint
	}
	if len(argv) == 0 {
		return "", nil, fmt.Errorf("no entrypoint")
	}
	if !img.files[argv[0]] {
		return "", nil, fmt.Errorf("runs %s, which the Dockerfile does not install", argv[0])
	}
	return path.Base(argv[0]), argv[1:], nil
}

// composeInvocations returns each service's command line, interpolated
// with vars.
func composeInvocations(p composeProject, img image, vars map[string]string) ([]invocation, error) {
	var invs []invocation
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		where := fmt.Sprintf("%s: services.%s", composeFile, name)
		prog, pre, err := program(s.Entrypoint, img)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		inv := invocation{where: where, program: prog}
		for _, a := range append(pre, s.Command...) {
			v, err := interpolate(a, vars)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			inv.args = append(inv.args, v)
		}
		for k := range s.Environment {
			inv.env = append(inv.env, k)
		}
		slices.Sort(inv.env)
		invs = append(invs, inv)
	}
	return invs, nil
}

// requiredToken is how the token must be passed: a variable Compose
// refuses to start without, so no default token can exist.
var requiredToken = regexp.MustCompile(`^\$\{LOADGEN_TOKEN:?\?[^}]+\}$`)

func TestCompose(t *testing.T) {
	img := loadImage(t)
	p := loadCompose(t)
	vars := map[string]string{"LOADGEN_TOKEN": "t"}
	invs, err := composeInvocations(p, img, vars)
	if err != nil {
		t.Fatal(err)
	}
	byService := map[string]invocation{}
	for _, inv := range invs {
		byService[strings.TrimPrefix(inv.where, composeFile+": services.")] = inv
	}
	coord, worker, target := byService["coordinator"], byService["worker"], byService["albumsvc"]
	if cmd, _ := coord.command(); cmd != "loadgen coordinator" {
		t.Fatalf("services.coordinator runs %q, want loadgen coordinator", cmd)
	}
	if cmd, _ := worker.command(); cmd != "loadgen worker" {
		t.Fatalf("services.worker runs %q, want loadgen worker", cmd)
	}
	if target.program != "albumsvc" {
		t.Fatalf("services.albumsvc runs %q, want albumsvc", target.program)
	}

	first := p.Services["coordinator"]
	for name, s := range p.Services {
		where := composeFile + ": services." + name
		if s.Image == "" || s.Image != first.Image || s.Build != first.Build {
			t.Errorf("%s: image %q build %+v; every service should run the one image (%q, %+v)", where, s.Image, s.Build, first.Image, first.Build)
		}
		df, err := filepath.Abs(filepath.Join(s.Build.Context, s.Build.Dockerfile))
		if want, _ := filepath.Abs("Dockerfile"); err != nil || df != want {
			t.Errorf("%s: build.context %q and build.dockerfile %q name %s, not this directory's Dockerfile", where, s.Build.Context, s.Build.Dockerfile, df)
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: want read_only: true, cap_drop: [ALL] and security_opt: [no-new-privileges:true]", where)
		}
		// Workers reach everything over the project network; a published
		// control port would be an open relay.
		if len(s.Ports) > 0 || len(s.Expose) > 0 || s.NetworkMode != "" {
			t.Errorf("%s: publishes ports %v / expose %v / network_mode %q; nothing should be published", where, s.Ports, s.Expose, s.NetworkMode)
		}
	}
	if w := p.Services["worker"]; w.ContainerName != "" || w.Restart != "" {
		t.Errorf("services.worker: container_name %q, restart %q; a scaled service needs neither (names must differ, and a worker's exit is final)", w.ContainerName, w.Restart)
	}

	// The token: a required variable, never a command-line flag.
	for _, name := range []string{"coordinator", "worker"} {
		tok := p.Services[name].Environment["LOADGEN_TOKEN"]
		if !requiredToken.MatchString(tok) {
			t.Errorf("services.%s: LOADGEN_TOKEN is %q; want ${LOADGEN_TOKEN:?message}, so compose refuses to run without one", name, tok)
		} else if _, err := interpolate(tok, map[string]string{}); err == nil {
			t.Errorf("services.%s: LOADGEN_TOKEN %q has a value when the variable is unset", name, tok)
		}
		if _, ok := flagValue(byService[name].args, "token"); ok {
			t.Errorf("services.%s: --token on the command line shows the secret to ps and docker inspect; use LOADGEN_TOKEN", name)
		}
	}

	// The worker count: deploy.replicas and --expect-workers follow the same
	// variable, whatever it is set to.
	for _, workers := range []string{"", "7"} {
		v := map[string]string{"LOADGEN_TOKEN": "t"}
		if workers != "" {
			v["WORKERS"] = workers
		}
		replicas, err := interpolate(p.Services["worker"].Deploy.Replicas, v)
		if err != nil {
			t.Fatal(err)
		}
		invs, err := composeInvocations(p, img, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range invs {
			if inv.where != composeFile+": services.coordinator" {
				continue
			}
			expect, _ := flagValue(inv.args, "expect-workers")
			if replicas == "" || replicas != expect {
				t.Errorf("WORKERS=%q: services.worker deploy.replicas is %q but the coordinator's --expect-workers is %q", workers, replicas, expect)
			}
		}
	}

	// The wiring: workers find the coordinator, the coordinator the target.
	_, coordArgs := coord.command()
	listenHost, listenPort := splitAddr(t, "services.coordinator", coordArgs, "listen")
	if ip := net.ParseIP(listenHost); ip != nil && ip.IsLoopback() {
		t.Errorf("services.coordinator: --listen %s:%s is loopback, out of the workers' reach", listenHost, listenPort)
	}
	checkURL(t, "services.worker --coordinator", worker.args, "coordinator", "coordinator", listenPort)
	targetHost, targetPort := splitAddr(t, "services.albumsvc", target.args, "addr")
	if ip := net.ParseIP(targetHost); ip != nil && ip.IsLoopback() {
		t.Errorf("services.albumsvc: --addr %s:%s is loopback, out of the workers' reach", targetHost, targetPort)
	}
	checkURL(t, "services.coordinator --host", coordArgs, "host", "albumsvc", targetPort)

	// Output files go to a volume: the root filesystem is read-only.
	var mounts []string
	for _, v := range p.Services["coordinator"].Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Errorf("services.coordinator: volume %q has no target", v)
			continue
		}
		if !strings.HasPrefix(parts[0], ".") && !strings.HasPrefix(parts[0], "/") {
			if _, ok := p.Volumes[parts[0]]; !ok {
				t.Errorf("services.coordinator: volume %q is not declared under volumes:", parts[0])
			}
		}
		mounts = append(mounts, parts[1])
	}
	checkOutputs(t, "services.coordinator", coordArgs, mounts)
}

// splitAddr returns the host and port of the address flag --name in args.
func splitAddr(t *testing.T, what string, args []string, name string) (string, string) {
	t.Helper()
	v, ok := flagValue(args, name)
	if !ok {
		t.Fatalf("%s: no --%s", what, name)
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		t.Fatalf("%s: --%s %q: %v", what, name, v, err)
	}
	return host, port
}

// checkURL checks that --flag in args is an http(s) URL of host:port.
func checkURL(t *testing.T, what string, args []string, flag, host, port string) {
	t.Helper()
	v, ok := flagValue(args, flag)
	if !ok {
		t.Errorf("%s: not given", what)
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		t.Errorf("%s %q: want an http:// or https:// URL (%v)", what, v, err)
		return
	}
	if u.Hostname() != host || u.Port() != port {
		t.Errorf("%s %q: want host %s and port %s", what, v, host, port)
	}
}

// checkOutputs checks that the coordinator's --csv and --json files are
// written under one of the mounted directories.
func checkOutputs(t *testing.T, what string, args, mounts []string) {
	t.Helper()
	found := 0
	for _, flag := range []string{"csv", "json"} {
		v, ok := flagValue(args, flag)
		if !ok {
			continue
		}
		found++
		dir := path.Dir(v)
		if !slices.ContainsFunc(mounts, func(m string) bool {
			return dir == path.Clean(m) || strings.HasPrefix(dir, path.Clean(m)+"/")
		}) {
			t.Errorf("%s: --%s %s is not under a mounted volume (%v); the root filesystem is read-only", what, flag, v, mounts)
		}
	}
	if found == 0 {
		t.Errorf("%s: neither --csv nor --json: the results would be in the log only", what)
	}
}
