package control

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestEditAndResetMidRun changes the fleet's user count and resets the
// merged statistics while two workers run.
func TestEditAndResetMidRun(t *testing.T) {
	tg := newTarget(t)
	cfg := fastConfig(t, testSpec(tg.srv.URL))
	cfg.Users = 4
	cfg.SpawnRate = 100
	cfg.RunTime = 20 * time.Second
	cfg.ExpectWorkers = 2
	c, srv := startCoordinator(t, cfg)
	if err := c.Edit(2, 10); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Edit before the run: %v, want ErrNotRunning", err)
	}
	startWorker(t, srv.URL, WorkerConfig{ID: "a"})
	startWorker(t, srv.URL, WorkerConfig{ID: "b"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runCoordinator(ctx, c)

	users := func() (n int) {
		for _, w := range c.Workers() {
			n += w.Users
		}
		return n
	}
	waitFor(t, 10*time.Second, "the fleet to reach 4 users", func() bool { return users() == 4 })
	if err := c.Edit(6, 100); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the fleet to reach 6 users after the edit", func() bool { return users() == 6 })
	for _, w := range c.Workers() {
		if w.Target != 3 {
			t.Errorf("worker %s target %d, want 3", w.ID, w.Target)
		}
	}
	if err := c.Edit(-1, 1); err == nil {
		t.Error("Edit to -1 users: no error")
	}

	waitFor(t, 10*time.Second, "merged requests", func() bool { return c.Snapshot().Total.Count() > 0 })
	before := c.Snapshot().Total.Count()
	if err := c.Reset(); err != nil {
		t.Fatal(err)
	}
	if after := c.Snapshot().Total.Count(); after >= before {
		t.Errorf("%d requests after the reset, %d before", after, before)
	}
	cancel()
	out := <-done
	if out.err != nil {
		t.Fatal(out.err)
	}
	if got := out.res.Snapshot.Total.Count(); got >= tg.requests.Load() {
		t.Errorf("final count %d includes what the reset dropped (target served %d)", got, tg.requests.Load())
	}
	if err := c.Reset(); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Reset after the run: %v, want ErrNotRunning", err)
	}
}
