package control

import (
	"context"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/pausetest"
)

// TestFleetAddsUpTheWorkersPauses stops the whole process, coordinator and
// two in-process workers, for 150 ms in the middle of a run: each worker's
// meter sees the pause and reports it with its statistics, and the
// coordinator's result adds the two up.
func TestFleetAddsUpTheWorkersPauses(t *testing.T) {
	tg := newTarget(t)
	spec := testSpec(tg.srv.URL)
	spec.StopTimeout = 3 * time.Second
	cfg := fastConfig(t, spec)
	cfg.Users = 4
	cfg.RunTime = 1500 * time.Millisecond
	cfg.ExpectWorkers = 2
	c, srv := startCoordinator(t, cfg)
	startWorker(t, srv.URL, WorkerConfig{ID: "a"})
	startWorker(t, srv.URL, WorkerConfig{ID: "b"})
	outc := runCoordinator(context.Background(), c)
	time.Sleep(700 * time.Millisecond)
	pausetest.Pause(t, 150*time.Millisecond)
	out := <-outc
	if out.err != nil {
		t.Fatal(out.err)
	}
	// Up to a meter's 50 ms period of the pause falls in its sleep.
	if p := out.res.Snapshot.Pauses; p.Count < 2 || p.Max < 100*time.Millisecond || p.Total < 2*(100*time.Millisecond) {
		t.Errorf("pauses %+v, want one of 100 to 150 ms from each of the two workers", p)
	}
}
