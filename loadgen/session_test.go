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

func TestSessionEditResetStop(t *testing.T) {
	var count atomic.Int64
	var ticks atomic.Int64
	s, err := StartSession(context.Background(), Options{
		Tasks: sleepTasks(&count), Users: 2, SpawnRate: 0,
		Interval: 20 * time.Millisecond,
		OnTick:   func(*results.Snapshot) { ticks.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	waitFor(t, "2 users running", func() bool { return s.Users() == 2 && s.State() == StateRunning })

	if err := s.Edit(5, 0); err != nil {
		t.Fatal(err)
	}
	if u, r := s.Target(); u != 5 || r != 0 {
		t.Errorf("target %d at %g/s, want 5 at 0", u, r)
	}
	waitFor(t, "5 users", func() bool { return s.Users() == 5 && s.State() == StateRunning })
	if err := s.Edit(1, 1000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "1 user", func() bool { return s.Users() == 1 && s.State() == StateRunning })

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

	final, err := s.Stop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if s.State() != StateStopped || s.Users() != 0 {
		t.Errorf("after Stop: state %s, %d users", s.State(), s.Users())
	}
	if final != s.Snapshot() || final.Users != 1 {
		t.Errorf("final snapshot %p (users %d), Snapshot %p", final, final.Users, s.Snapshot())
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after Stop")
	}
	if err := s.Edit(3, 1); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("Edit after Stop: %v, want ErrSessionEnded", err)
	}
	if err := s.Reset(); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("Reset after Stop: %v, want ErrSessionEnded", err)
	}
	if again, err := s.Stop(context.Background()); err != nil || again != final {
		t.Errorf("second Stop: %p, %v", again, err)
	}
	if ticks.Load() == 0 {
		t.Error("OnTick never called")
	}
}

func TestSessionEnds(t *testing.T) {
	tests := []struct {
		name string
		run  func(*Session, context.CancelFunc)
		opts Options
	}{
		{"run time", func(*Session, context.CancelFunc) {}, Options{RunTime: 100 * time.Millisecond}},
		{"context", func(_ *Session, cancel context.CancelFunc) { cancel() }, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var count atomic.Int64
			opts := tt.opts
			opts.Tasks, opts.Users, opts.Interval = sleepTasks(&count), 1, 10*time.Millisecond
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, err := StartSession(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "a request", func() bool { return count.Load() > 0 })
			tt.run(s, cancel)
			done := make(chan struct{})
			var snap *results.Snapshot
			go func() {
				defer close(done)
				snap, err = s.Wait()
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

func TestSessionStopWaitBoundedByContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	s, err := StartSession(context.Background(), Options{
		Tasks: []users.Task{{Method: "GET", Name: "/slow", Weight: 1, Run: func(ctx context.Context, u *users.User) (int64, error) {
			select {
			case <-block:
			case <-ctx.Done():
			}
			return 0, nil
		}}},
		Users: 1, StopTimeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the user", func() bool { return s.Users() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop with a task that will not finish: %v, want the context's error", err)
	}
	if s.State() != StateStopping {
		t.Errorf("state %s, want stopping", s.State())
	}
}

func TestSessionBadOptions(t *testing.T) {
	var count atomic.Int64
	tasks := sleepTasks(&count)
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"negative users", Options{Tasks: tasks, Users: -1}},
		{"negative spawn rate", Options{Tasks: tasks, SpawnRate: -1}},
		{"no tasks", Options{Users: 1}},
		{"unknown client", Options{Tasks: tasks, Client: "curl"}},
	} {
		if s, err := StartSession(context.Background(), tt.opts); err == nil {
			s.Stop(context.Background())
			t.Errorf("%s: started", tt.name)
		}
	}
	s, err := StartSession(context.Background(), Options{Tasks: tasks})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	if err := s.Edit(-1, 1); err == nil || errors.Is(err, ErrSessionEnded) {
		t.Errorf("Edit(-1): %v", err)
	}
	if err := s.Edit(1, -1); err == nil {
		t.Error("Edit with a negative rate passed")
	}
	if s.Snapshot() == nil {
		t.Error("no snapshot before the first collection")
	}
}

// TestSessionConcurrentControl drives one session from several goroutines
// at once, for the race detector.
func TestSessionConcurrentControl(t *testing.T) {
	var count atomic.Int64
	s, err := StartSession(context.Background(), Options{Tasks: sleepTasks(&count), Users: 2, SpawnRate: 50, Interval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				switch (g + i) % 4 {
				case 0:
					if err := s.Edit(1+i%4, 100); err != nil {
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
					_, _ = s.Target()
				}
			}
		}()
	}
	wg.Wait()
	if _, err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.State() != StateStopped {
		t.Errorf("state %s", s.State())
	}
}

// TestSessionAgainstAlbumService runs the albums profile for real.
func TestSessionAgainstAlbumService(t *testing.T) {
	base := startAlbums(t)
	c := compiled(t, "albums", "")
	s, err := StartSession(context.Background(), Options{
		Tasks: ProfileTasks(c, base), InitUser: InitProfileUser, NewRand: ProfileRand(1),
		Users: 2, Interval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "50 requests", func() bool { return s.Snapshot().Total.Count() >= 50 })
	snap, err := s.Stop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.Total.Failures() != 0 || len(snap.Entries) == 0 {
		t.Errorf("%d failures over %d entries: %v", snap.Total.Failures(), len(snap.Entries), snap.Errors)
	}
}
