//go:build docker

package deploy_test

import (
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// composeConfig is the part of `compose config` (the Compose file as the
// tool reads it, variables interpolated) that the checks below read.
// docker-compose v1 and the v2 plugin print some parts in different
// shapes, hence the loose types.
type composeConfig struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image         string             `yaml:"image"`
	Entrypoint    []string           `yaml:"entrypoint"`
	Command       []string           `yaml:"command"`
	Environment   map[string]*string `yaml:"environment"`
	ReadOnly      bool               `yaml:"read_only"`
	CapDrop       []string           `yaml:"cap_drop"`
	SecurityOpt   []string           `yaml:"security_opt"`
	Ports         []any              `yaml:"ports"`
	Expose        []any              `yaml:"expose"`
	NetworkMode   string             `yaml:"network_mode"`
	Volumes       []any              `yaml:"volumes"`
	ContainerName string             `yaml:"container_name"`
	Restart       string             `yaml:"restart"`
	Deploy        struct {
		Replicas *int `yaml:"replicas"`
	} `yaml:"deploy"`
}

// mounts returns the container paths of a service's volumes, in the short
// syntax (v1: "results:/results:rw") or the long one (v2: target: ...).
func (s composeService) mounts() []string {
	var out []string
	for _, v := range s.Volumes {
		switch v := v.(type) {
		case string:
			parts := strings.Split(v, ":")
			if len(parts) >= 2 {
				out = append(out, parts[1])
			}
		case map[string]any:
			if target, ok := v["target"].(string); ok {
				if ro, _ := v["read_only"].(bool); !ro {
					out = append(out, target)
				}
			}
		}
	}
	return out
}

// config runs `compose config` on the Compose file alone.
func config(t *testing.T, vars map[string]string) (composeConfig, error) {
	t.Helper()
	p := &project{t: t, cmd: composeCommand(t), name: "loadgenconfig", files: []string{composeFile}, vars: vars}
	out, err := p.compose(time.Minute, "config")
	if err != nil {
		return composeConfig{}, err
	}
	var c composeConfig
	if err := yaml.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("compose config printed what is not YAML: %v\n%s", err, out)
	}
	return c, nil
}

// TestComposeConfig validates the Compose file with the Compose tool
// itself and checks what it resolves to: one hardened image for every
// service, nothing published, the token required and kept off command
// lines, the worker count in one variable, and the services wired to each
// other and to a volume for the results.
func TestComposeConfig(t *testing.T) {
	if _, err := config(t, map[string]string{}); err == nil || !strings.Contains(err.Error(), "set LOADGEN_TOKEN") {
		t.Errorf("compose config without LOADGEN_TOKEN: %v; want a refusal that says to set it", err)
	}
	for _, workers := range []string{"", "7"} {
		vars := map[string]string{"LOADGEN_TOKEN": "secret-token"}
		want := "4"
		if workers != "" {
			vars["WORKERS"], want = workers, workers
		}
		c, err := config(t, vars)
		if err != nil {
			t.Fatal(err)
		}
		checkComposeConfig(t, c, want)
	}
}

// invocation is what a service runs: the image's entrypoint (/loadgen)
// unless the service names another, its command and its environment,
// parsed by the program's own flag set.
func (s composeService) invocation(t *testing.T, name string) *invocation {
	t.Helper()
	argv := append(slices.Clone(s.Entrypoint), s.Command...)
	if len(s.Entrypoint) == 0 {
		argv = append([]string{"/loadgen"}, s.Command...)
	}
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	inv := &invocation{where: composeFile + ": services." + name, argv: argv, env: env}
	if err := inv.parse(); err != nil {
		t.Fatal(err)
	}
	return inv
}

func checkComposeConfig(t *testing.T, c composeConfig, workers string) {
	t.Helper()
	if got := slices.Sorted(maps.Keys(c.Services)); !slices.Equal(got, []string{"albumsvc", "coordinator", "worker"}) {
		t.Fatalf("services %v, want albumsvc, coordinator and worker", got)
	}
	runs := map[string]*invocation{}
	for name, s := range c.Services {
		if s.Image != testImage() {
			t.Errorf("services.%s: image %q, want %q (LOADGEN_IMAGE)", name, s.Image, testImage())
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("services.%s: want read_only, cap_drop [ALL] and no-new-privileges", name)
		}
		// A published control port would be an open relay.
		if len(s.Ports) > 0 || len(s.Expose) > 0 || s.NetworkMode != "" {
			t.Errorf("services.%s: ports %v, expose %v, network_mode %q: nothing may be published", name, s.Ports, s.Expose, s.NetworkMode)
		}
		inv := s.invocation(t, name)
		checkToken(t, inv)
		runs[inv.key] = inv
	}
	coord, worker, target := runs["loadgen coordinator"], runs["loadgen worker"], runs["albumsvc"]
	if coord == nil || worker == nil || target == nil {
		t.Fatalf("the services run %v, want a loadgen coordinator, a loadgen worker and albumsvc", slices.Sorted(maps.Keys(runs)))
	}
	for _, inv := range []*invocation{coord, worker} {
		if inv.value(t, "token") != "secret-token" {
			t.Errorf("%s: the token is not LOADGEN_TOKEN's value", inv.where)
		}
	}
	if w := c.Services["worker"]; w.ContainerName != "" || w.Restart != "" {
		t.Errorf("services.worker: container_name %q, restart %q: a scaled service needs neither", w.ContainerName, w.Restart)
	}
	replicas := "unset"
	if r := c.Services["worker"].Deploy.Replicas; r != nil {
		replicas = strconv.Itoa(*r)
	}
	if expect := coord.value(t, "expect-workers"); expect != workers || replicas != workers {
		t.Errorf("WORKERS=%s: the coordinator's --expect-workers is %q and the worker replicas %s", workers, expect, replicas)
	}

	// The workers reach the coordinator and the target by service name.
	checkURL(t, worker, "coordinator", "coordinator", listenPort(t, coord, "listen"))
	checkURL(t, coord, "host", "albumsvc", listenPort(t, target, "addr"))

	// The root filesystem is read-only: the results go to a volume.
	mounts := c.Services["coordinator"].mounts()
	for _, flag := range []string{"csv", "json"} {
		v := coord.value(t, flag)
		if v == "" {
			t.Errorf("%s: no --%s", coord.where, flag)
			continue
		}
		if !slices.ContainsFunc(mounts, func(m string) bool {
			return strings.HasPrefix(path.Dir(v)+"/", path.Clean(m)+"/")
		}) {
			t.Errorf("%s: --%s %s is not on a volume (%v)", coord.where, flag, v, mounts)
		}
	}
}
