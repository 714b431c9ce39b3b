package control

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
)

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
	w := startWorker(t, srv.URL, WorkerConfig{ID: "w", Workload: func(*loadgen.Spec) (*loadgen.Workload, error) {
		return nil, errors.New("profile field unknown to this version")
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
		return len(ws) == 1 && ws[0].State == string(wire.StateFailed) && ws[0].Error != ""
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
