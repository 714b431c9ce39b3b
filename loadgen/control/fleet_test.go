package control

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/results"
)

// TestFleetRun runs a short test on two in-process workers against a
// loopback target, and checks that the coordinator counted exactly the
// requests the target served, split the users evenly, and gave the two
// workers distinct user IDs.
func TestFleetRun(t *testing.T) {
	tg := newTarget(t)
	spec := testSpec(tg.srv.URL)
	// Requests in flight at the end finish and are counted, so the
	// coordinator's count must equal the target's.
	spec.StopTimeout = 3 * time.Second
	cfg := fastConfig(t, spec)
	cfg.Users = 6
	cfg.SpawnRate = 30
	cfg.RunTime = 1500 * time.Millisecond
	cfg.ExpectWorkers = 2
	ticks := 0
	cfg.OnTick = func(*results.Snapshot) { ticks++ }
	c, srv := startCoordinator(t, cfg)
	a := startWorker(t, srv.URL, WorkerConfig{ID: "a"})
	b := startWorker(t, srv.URL, WorkerConfig{ID: "b"})

	out := <-runCoordinator(context.Background(), c)
	if out.err != nil {
		t.Fatal(out.err)
	}
	for _, w := range []*runningWorker{a, b} {
		select {
		case <-w.done:
			if w.err != nil {
				t.Errorf("worker %s: %v, want nil after quit", w.ID(), w.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("worker %s did not quit", w.ID())
		}
	}
	snap := out.res.Snapshot
	if snap.Total.Count() == 0 {
		t.Fatal("no requests recorded")
	}
	if got, want := snap.Total.Count(), tg.requests.Load(); got != want {
		t.Errorf("coordinator counted %d requests, the target served %d", got, want)
	}
	if ticks == 0 {
		t.Error("OnTick was never called")
	}
	var sum int64
	for _, ws := range out.res.Workers {
		sum += ws.Requests
		if ws.Target != 3 || ws.Requests == 0 {
			t.Errorf("worker %s: target %d, %d requests; want 3 users and some requests", ws.ID, ws.Target, ws.Requests)
		}
		if ws.RSSBytes == 0 || ws.Cores == 0 || ws.PID == 0 || ws.LastHeartbeat.IsZero() {
			t.Errorf("worker %s: row %+v lacks the process's figures", ws.ID, ws)
		}
	}
	if sum != snap.Total.Count() {
		t.Errorf("worker rows add up to %d requests, the total is %d", sum, snap.Total.Count())
	}
	ids, dup := tg.userIDs(t)
	if dup {
		t.Error("two requests had the same user ID and sequence number")
	}
	got := make([]int, 0, len(ids))
	for id := range ids {
		got = append(got, id)
	}
	slices.Sort(got)
	if want := []int{1, 2, 3, UserIDBlock + 1, UserIDBlock + 2, UserIDBlock + 3}; !slices.Equal(got, want) {
		t.Errorf("user IDs %v, want %v", got, want)
	}
	if len(out.res.Warnings) != 0 {
		t.Errorf("warnings %q, want none", out.res.Warnings)
	}
}

// TestWorkerLossHandsUsersOver plays one worker by hand that reports, then
// stops heartbeating: its statistics stay, and its users move to the real
// worker.
func TestWorkerLossHandsUsersOver(t *testing.T) {
	tg := newTarget(t)
	spec := testSpec(tg.srv.URL)
	spec.StopTimeout = 3 * time.Second
	cfg := fastConfig(t, spec)
	cfg.Users = 6
	cfg.ExpectWorkers = 2
	cfg.MissedHeartbeats = 3
	c, srv := startCoordinator(t, cfg)
	fake := wireClient{t: t, url: srv.URL}
	fake.register("fake")
	real := startWorker(t, srv.URL, WorkerConfig{ID: "real"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)

	cmd, _ := fake.poll("fake", 0)
	if cmd == nil || cmd.Users != 3 {
		t.Fatalf("fake worker's command %+v, want spawn of 3", cmd)
	}
	fake.heartbeat("fake", wire.StateRunning, 3)
	if st, ack := fake.report("fake", c.RunID(), 1, false, recordedDelta(50, 7)); st != 200 || !ack.Applied {
		t.Fatalf("fake report: HTTP %d %+v", st, ack)
	}
	// The fake now falls silent, as a killed process would.
	waitFor(t, 10*time.Second, "the real worker to take over all 6 users", func() bool {
		ws := c.Workers()
		return len(ws) == 2 && ws[0].State == string(wire.StateMissing) && ws[1].Target == 6 && ws[1].Users == 6
	})
	if st := fake.heartbeat("fake", wire.StateRunning, 3); st != 410 {
		t.Errorf("heartbeat of a missing worker: HTTP %d, want 410 (register again)", st)
	}
	cancel()
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if got, want := out.res.Snapshot.Total.Count(), tg.requests.Load()+50; got != want {
		t.Errorf("total %d requests, want %d: the target's plus the lost worker's 50", got, want)
	}
	if out.res.Workers[0].State != string(wire.StateMissing) || out.res.Workers[0].Requests != 50 {
		t.Errorf("lost worker's row %+v, want missing with its 50 requests", out.res.Workers[0])
	}
	if len(out.res.Warnings) != 1 || !strings.Contains(out.res.Warnings[0], "fake") ||
		!strings.Contains(out.res.Warnings[0], "missed 3 heartbeats") || !strings.Contains(out.res.Warnings[0], "handed to the other workers") {
		t.Errorf("warnings %q, want one about the lost worker", out.res.Warnings)
	}
	<-real.done
}

// TestLateWorkerGetsItsShare starts a run on one worker and adds another.
func TestLateWorkerGetsItsShare(t *testing.T) {
	tg := newTarget(t)
	cfg := fastConfig(t, testSpec(tg.srv.URL))
	cfg.Users = 6
	cfg.SpawnRate = 60
	c, srv := startCoordinator(t, cfg)
	startWorker(t, srv.URL, WorkerConfig{ID: "early"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)
	waitFor(t, 10*time.Second, "the first worker to run 6 users", func() bool {
		ws := c.Workers()
		return len(ws) == 1 && ws[0].Users == 6
	})
	startWorker(t, srv.URL, WorkerConfig{ID: "late"})
	waitFor(t, 10*time.Second, "3 users on each worker", func() bool {
		ws := c.Workers()
		return len(ws) == 2 && ws[0].Users == 3 && ws[1].Users == 3 && ws[0].Target == 3 && ws[1].Target == 3
	})
	cancel()
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if out.res.Workers[1].Requests == 0 {
		t.Error("the late worker reported no requests")
	}
}

// TestInterruptedWorkerLeaves cancels one worker mid-run: it says so, and
// its users move at once to the other.
func TestInterruptedWorkerLeaves(t *testing.T) {
	tg := newTarget(t)
	cfg := fastConfig(t, testSpec(tg.srv.URL))
	cfg.Users = 4
	cfg.ExpectWorkers = 2
	// Longer than the test waits: the hand-over must come from the
	// worker's goodbye, not from missed heartbeats.
	cfg.MissedHeartbeats = 100
	c, srv := startCoordinator(t, cfg)
	startWorker(t, srv.URL, WorkerConfig{ID: "stays"})
	leaving := startWorker(t, srv.URL, WorkerConfig{ID: "leaves"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)
	waitFor(t, 10*time.Second, "2 users on each worker", func() bool {
		ws := c.Workers()
		return len(ws) == 2 && ws[0].Users == 2 && ws[1].Users == 2
	})
	leaving.stop(t)
	if leaving.err != nil {
		t.Errorf("interrupted worker returned %v, want nil", leaving.err)
	}
	waitFor(t, 5*time.Second, "the staying worker to take 4 users", func() bool {
		ws := c.Workers()
		return byID(ws, "stays").Target == 4 && byID(ws, "leaves").State == string(wire.StateLeft)
	})
	cancel()
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if len(out.res.Warnings) != 1 || !strings.Contains(out.res.Warnings[0], "left before the end") {
		t.Errorf("warnings %q, want one about the worker that left", out.res.Warnings)
	}
}

// byID finds a worker's row; registration order varies between runs.
func byID(ws []results.WorkerStatus, id string) results.WorkerStatus {
	for _, w := range ws {
		if w.ID == id {
			return w
		}
	}
	return results.WorkerStatus{}
}

// TestNoWorkers checks the error when nobody registers in time.
func TestNoWorkers(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	cfg.ExpectWait = 100 * time.Millisecond
	c, _ := startCoordinator(t, cfg)
	_, err := c.Run(context.Background())
	if !errors.Is(err, ErrNoWorkers) {
		t.Fatalf("Run without workers: %v, want ErrNoWorkers", err)
	}
}

// TestFewerWorkersThanExpected starts with the workers present once the
// wait is over, and says so.
func TestFewerWorkersThanExpected(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	cfg.ExpectWorkers = 3
	cfg.ExpectWait = 300 * time.Millisecond
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	wc.register("only")
	ctx, cancel := context.WithCancel(context.Background())
	runDone := runCoordinator(ctx, c)
	cmd, _ := wc.poll("only", 0)
	if cmd == nil || cmd.Kind != wire.CommandSpawn || cmd.Users != cfg.Users {
		t.Fatalf("command %+v, want all %d users on the only worker", cmd, cfg.Users)
	}
	cancel()
	wc.finish("only", c.RunID(), 1)
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if len(out.res.Warnings) != 1 || !strings.Contains(out.res.Warnings[0], "1 of the 3 expected workers") {
		t.Errorf("warnings %q", out.res.Warnings)
	}
}
