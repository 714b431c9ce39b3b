package control

import (
	"context"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
)

// TestPartitionedWorkerStopsAndRejoins cuts one worker off from the
// coordinator through a proxy that answers 503 while the link is down: the
// worker stops its users, the coordinator marks it missing and gives its
// users to the other worker, and when the link is back the worker
// registers again and gets its share back.
func TestPartitionedWorkerStopsAndRejoins(t *testing.T) {
	tg := newTarget(t)
	cfg := fastConfig(t, testSpec(tg.srv.URL))
	cfg.Users = 4
	cfg.ExpectWorkers = 2
	cfg.MissedHeartbeats = 3
	c, direct := startCoordinator(t, cfg)
	linkURL, down := cuttableLink(t, c)
	startWorker(t, direct.URL, WorkerConfig{ID: "near"})
	far := startWorker(t, linkURL, WorkerConfig{ID: "far", ConnectTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)
	waitFor(t, 10*time.Second, "2 users on each worker", func() bool {
		ws := c.Workers()
		return byID(ws, "near").Users == 2 && byID(ws, "far").Users == 2
	})

	down.Store(true)
	farUsers := func() int {
		if r := far.current(); r != nil && r.users != nil {
			return r.users.Count()
		}
		return -1
	}
	waitFor(t, 10*time.Second, "the cut-off worker to stop and its users to move", func() bool {
		ws := c.Workers()
		return farUsers() == 0 && byID(ws, "far").State == string(wire.StateMissing) && byID(ws, "near").Users == 4
	})

	down.Store(false)
	waitFor(t, 10*time.Second, "the worker to rejoin with its share", func() bool {
		ws := c.Workers()
		return farUsers() == 2 && byID(ws, "far").Users == 2 && byID(ws, "near").Users == 2
	})
	cancel()
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if f := byID(out.res.Workers, "far"); f.State == string(wire.StateMissing) || f.Requests == 0 {
		t.Errorf("rejoined worker's row %+v: want it back, with its requests", f)
	}
	if len(out.res.Warnings) != 1 {
		t.Errorf("warnings %q, want one recording the partition", out.res.Warnings)
	}
}
