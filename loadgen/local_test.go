package loadgen

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// waitFor polls cond until it holds, failing the test after a bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sleepTasks are tasks that send nothing: each run counts itself and
// takes a millisecond, so sessions can be tested without a network.
func sleepTasks(count *atomic.Int64) []users.Task {
	run := func(ctx context.Context, u *users.User) (int64, error) {
		count.Add(1)
		t := time.NewTimer(time.Millisecond)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		return 10, nil
	}
	return []users.Task{
		{Method: "GET", Name: "/a", Weight: 3, Run: run},
		{Method: "GET", Name: "/b", Weight: 1, Run: run},
	}
}

func TestLocalRunEditResetStop(t *testing.T) {
	var count atomic.Int64
	var ticks atomic.Int64
	spec := goSpec(sleepTasks(&count))
	spec.Users = 2
	s := startLocal(t, context.Background(), spec, Hooks{
		Interval: 20 * time.Millisecond,
		OnTick:   func(Tick) { ticks.Add(1) },
	})
	waitFor(t, "2 users running", func() bool { return usersOf(s) == 2 && s.State() == StateRunning })

	if err := s.Edit(Change{Users: 5}); err != nil {
		t.Fatal(err)
	}
	if c := targetOf(s); c.Users != 5 || c.SpawnRate != 0 {
		t.Errorf("target %d at %g/s, want 5 at 0", c.Users, c.SpawnRate)
	}
	waitFor(t, "5 users", func() bool { return usersOf(s) == 5 && s.State() == StateRunning })
	if err := s.Edit(Change{Users: 1, SpawnRate: 1000}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "1 user", func() bool { return usersOf(s) == 1 && s.State() == StateRunning })

	waitFor(t, "some requests and history", func() bool {
		snap := s.Snapshot()
		return snap.Total.Count() >= 50 && len(snap.History) >= 2
	})
	before := s.Snapshot()
	c0 := count.Load()
	t0 := time.Now()
	if err := s.Reset(); err != nil {
		t.Fatal(err)
	}
	after := s.Snapshot()
	c1 := count.Load()
	if after.Start.Before(t0) {
		t.Errorf("statistics start %v, before the reset at %v", after.Start, t0)
	}
	// One user: at most the task in flight at the reset, and those started
	// since, can have been counted.
	if n := after.Total.Count(); n > c1-c0+1 {
		t.Errorf("%d requests counted after the reset, but only %d ran since", n, c1-c0)
	}
	if len(after.History) < len(before.History) {
		t.Errorf("reset dropped the history: %d rows, had %d", len(after.History), len(before.History))
	}

	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := s.Wait()
	if err != nil {
		t.Fatal(err)
	}
	final := res.Snapshot
	if s.State() != StateStopped || usersOf(s) != 0 {
		t.Errorf("after Stop: state %s, %d users", s.State(), usersOf(s))
	}
	if final != s.Snapshot() || final.Users != 1 {
		t.Errorf("final snapshot %p (users %d), Snapshot %p", final, final.Users, s.Snapshot())
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after Stop")
	}
	if err := s.Edit(Change{Users: 3, SpawnRate: 1}); !errors.Is(err, ErrEnded) {
		t.Errorf("Edit after Stop: %v, want ErrEnded", err)
	}
	if err := s.Reset(); !errors.Is(err, ErrEnded) {
		t.Errorf("Reset after Stop: %v, want ErrEnded", err)
	}
	if err := s.Stop(context.Background()); err != nil || s.Snapshot() != final {
		t.Errorf("second Stop: %p, %v", s.Snapshot(), err)
	}
	if ticks.Load() == 0 {
		t.Error("OnTick never called")
	}
}

func TestLocalRunEnds(t *testing.T) {
	tests := []struct {
		name    string
		run     func(Run, context.CancelFunc)
		runTime time.Duration
	}{
		{"run time", func(Run, context.CancelFunc) {}, 100 * time.Millisecond},
		{"context", func(_ Run, cancel context.CancelFunc) { cancel() }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var count atomic.Int64
			spec := goSpec(sleepTasks(&count))
			spec.Users, spec.RunTime = 1, tt.runTime
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := startLocal(t, ctx, spec, Hooks{Interval: 10 * time.Millisecond})
			waitFor(t, "a request", func() bool { return count.Load() > 0 })
			tt.run(s, cancel)
			done := make(chan struct{})
			var snap *results.Snapshot
			var err error
			go func() {
				defer close(done)
				var res *Result
				if res, err = s.Wait(); res != nil {
					snap = res.Snapshot
				}
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("session did not end")
			}
			if err != nil || snap == nil || s.State() != StateStopped {
				t.Errorf("Wait: %v, %v, state %s", snap, err, s.State())
			}
		})
	}
}

func TestLocalRunStopWaitBoundedByContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	// A user counted but not yet in its task would end at the stop
	// without running one: Stop must come while the task runs.
	var inTask atomic.Bool
	spec := goSpec([]users.Task{{Method: "GET", Name: "/slow", Weight: 1, Run: func(ctx context.Context, u *users.User) (int64, error) {
		inTask.Store(true)
		select {
		case <-block:
		case <-ctx.Done():
		}
		return 0, nil
	}}})
	spec.Users, spec.StopTimeout = 1, time.Minute
	s := startLocal(t, context.Background(), spec, Hooks{})
	waitFor(t, "the user in its task", func() bool { return usersOf(s) == 1 && inTask.Load() })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop with a task that will not finish: %v, want the context's error", err)
	}
	if s.State() != StateStopping {
		t.Errorf("state %s, want stopping", s.State())
	}
}

func TestLocalRunBadSpecs(t *testing.T) {
	var count atomic.Int64
	tasks := sleepTasks(&count)
	for _, tt := range []struct {
		name   string
		change func(*Spec)
	}{
		{"negative users", func(s *Spec) { s.Users = -1 }},
		{"negative spawn rate", func(s *Spec) { s.SpawnRate = -1 }},
		{"no tasks", func(s *Spec) { s.Workload.Tasks = nil }},
		{"unknown client", func(s *Spec) { s.Client = "curl" }},
	} {
		spec := goSpec(tasks)
		tt.change(spec)
		if s, err := Start(context.Background(), Local{}, spec, Hooks{}); err == nil {
			s.Stop(context.Background())
			t.Errorf("%s: started", tt.name)
		}
	}
	s := startLocal(t, context.Background(), goSpec(tasks), Hooks{})
	if err := s.Edit(Change{Users: -1, SpawnRate: 1}); err == nil || errors.Is(err, ErrEnded) {
		t.Errorf("Edit(-1): %v", err)
	}
	if err := s.Edit(Change{Users: 1, SpawnRate: -1}); err == nil {
		t.Error("Edit with a negative rate passed")
	}
	if s.Snapshot() == nil {
		t.Error("no snapshot before the first collection")
	}
}

// TestLocalRunConcurrentControl drives one run from several goroutines
// at once, for the race detector.
func TestLocalRunConcurrentControl(t *testing.T) {
	var count atomic.Int64
	spec := goSpec(sleepTasks(&count))
	spec.Users, spec.SpawnRate = 2, 50
	s := startLocal(t, context.Background(), spec, Hooks{Interval: 5 * time.Millisecond})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				switch (g + i) % 4 {
				case 0:
					if err := s.Edit(Change{Users: 1 + i%4, SpawnRate: 100}); err != nil {
						t.Error(err)
					}
				case 1:
					if err := s.Reset(); err != nil {
						t.Error(err)
					}
				case 2:
					_ = s.Snapshot().Total.Count()
				case 3:
					_ = s.State()
					_ = s.Result()
				}
			}
		}()
	}
	wg.Wait()
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.State() != StateStopped {
		t.Errorf("state %s", s.State())
	}
}

// TestLocalRunAgainstAlbumService runs the albums profile for real.
func TestLocalRunAgainstAlbumService(t *testing.T) {
	base := startAlbums(t)
	spec := profileSpec("albums", "", base)
	spec.Users, spec.Seed = 2, 1
	s := startLocal(t, context.Background(), spec, Hooks{Interval: 20 * time.Millisecond})
	waitFor(t, "50 requests", func() bool { return s.Snapshot().Total.Count() >= 50 })
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := s.Wait()
	if err != nil {
		t.Fatal(err)
	}
	snap := res.Snapshot
	if snap.Total.Failures() != 0 || len(snap.Entries) == 0 {
		t.Errorf("%d failures over %d entries: %v", snap.Total.Failures(), len(snap.Entries), snap.Errors)
	}
}
