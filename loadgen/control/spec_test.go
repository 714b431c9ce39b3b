package control

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/profiles"
)

func TestUsersConfig(t *testing.T) {
	good := testSpec("http://127.0.0.1:8080")
	cfg, err := UsersConfig(good, 2*UserIDBlock)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FirstID != 2*UserIDBlock || cfg.Seed != 42 || len(cfg.Tasks) != 1 || cfg.Tasks[0].Name != "/u" {
		t.Errorf("config %+v: want first ID %d, seed 42 and the profile's task", cfg, 2*UserIDBlock)
	}
	tests := []struct {
		name   string
		change func(s *wire.RunSpec)
		want   string
	}{
		{"bad YAML names its line", func(s *wire.RunSpec) { s.Profile.YAML = "name: x\ntasks:\n  - method: GET\n    pathh: /\n" }, "p.yaml:4"},
		{"unknown built-in", func(s *wire.RunSpec) { s.Profile = profiles.Source{Builtin: "nope"} }, "nope"},
		{"ratio of the wrong length", func(s *wire.RunSpec) { s.Ratio = "1:2:3" }, "ratio"},
		{"bad wait", func(s *wire.RunSpec) { s.Wait = "sometimes" }, "wait"},
		{"unknown client", func(s *wire.RunSpec) { s.Client = "curl" }, "curl"},
		{"host not a URL", func(s *wire.RunSpec) { s.Host = "ftp://x" }, "ftp://x"},
		{"no profile", func(s *wire.RunSpec) { s.Profile = profiles.Source{} }, "profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			s.Profile.File = "p.yaml"
			tt.change(&s)
			_, err := UsersConfig(s, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestNewCoordinatorChecksSpec(t *testing.T) {
	spec := testSpec("http://127.0.0.1:9")
	spec.Profile.YAML = "name: broken\ntasks:\n  - method: GET\n    path: /{{randInt 5 1}}\n"
	_, err := NewCoordinator(CoordinatorConfig{Spec: spec, Users: 1})
	if err == nil || !strings.Contains(err.Error(), "run spec") || !strings.Contains(err.Error(), "control-test.yaml:4") {
		t.Fatalf("NewCoordinator with a broken profile: %v, want its file and line", err)
	}
}

// TestWorkerCannotRunSpec gives a worker a spec it cannot build (here,
// because its own builder refuses it, as a worker of another version
// might): it says why and exits with the error, and the coordinator
// records it.
func TestWorkerCannotRunSpec(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	c, srv := startCoordinator(t, cfg)
	w := startWorker(t, srv.URL, WorkerConfig{ID: "w", Build: func(wire.RunSpec, int) (users.Config, error) {
		return users.Config{}, errors.New("profile field unknown to this version")
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not give up")
	}
	if w.err == nil || !strings.Contains(w.err.Error(), "cannot run the coordinator's spec") {
		t.Errorf("worker: %v, want an error about the spec", w.err)
	}
	waitFor(t, 5*time.Second, "the worker to be marked failed", func() bool {
		ws := c.Workers()
		return len(ws) == 1 && ws[0].State == wire.StateFailed && ws[0].Error != ""
	})
	cancel()
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if len(out.res.Warnings) != 1 || !strings.Contains(out.res.Warnings[0], "failed") {
		t.Errorf("warnings %q, want one about the failed worker", out.res.Warnings)
	}
}
