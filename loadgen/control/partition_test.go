package control

import (
	"context"
	"strings"
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
	if len(out.res.Warnings) != 1 || !strings.Contains(out.res.Warnings[0], "far") || !strings.Contains(out.res.Warnings[0], "registered again") {
		t.Errorf("warnings %q, want one recording the partition and the return", out.res.Warnings)
	}
}

// TestLoneWorkerRejoins cuts the only worker off and lets it back: the
// warning its loss made says its users were without a worker until it
// registered again, not that none is left.
func TestLoneWorkerRejoins(t *testing.T) {
	tg := newTarget(t)
	cfg := fastConfig(t, testSpec(tg.srv.URL))
	cfg.Users = 2
	cfg.MissedHeartbeats = 3
	c, _ := startCoordinator(t, cfg)
	linkURL, down := cuttableLink(t, c)
	startWorker(t, linkURL, WorkerConfig{ID: "lone", ConnectTimeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)
	waitFor(t, 10*time.Second, "2 users", func() bool { return byID(c.Workers(), "lone").Users == 2 })
	down.Store(true)
	waitFor(t, 10*time.Second, "the worker to be marked missing", func() bool {
		return byID(c.Workers(), "lone").State == string(wire.StateMissing)
	})
	if w := c.Warnings(); len(w) != 1 || !strings.Contains(w[0], "no worker is left to run its 2 users") {
		t.Errorf("warnings while it is away %q, want one saying no worker is left", w)
	}
	down.Store(false)
	waitFor(t, 10*time.Second, "the worker to rejoin", func() bool { return byID(c.Workers(), "lone").Users == 2 })
	cancel()
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	w := out.res.Warnings
	if len(w) != 1 || strings.Contains(w[0], "is left") || !strings.Contains(w[0], "no worker was left to run its 2 users until worker lone registered") {
		t.Errorf("warnings %q, want one saying its users were without a worker until it registered again", w)
	}
}
