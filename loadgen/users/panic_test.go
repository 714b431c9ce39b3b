package users

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
)

// panicky is a task set whose second task panics on every run, as user
// code with a nil map or an unexpected response would.
func panicky(ok, bad *atomic.Int64) []Task {
	return []Task{
		{Method: "GET", Name: "ok", Weight: 1, Run: func(context.Context, *User) (int64, error) {
			ok.Add(1)
			time.Sleep(100 * time.Microsecond)
			return 1, nil
		}},
		{Method: "GET", Name: "bad", Weight: 1, Run: func(context.Context, *User) (int64, error) {
			bad.Add(1)
			time.Sleep(100 * time.Microsecond)
			var m map[string]int
			m["boom"]++ // panics: assignment to entry in nil map
			return 1, nil
		}},
	}
}

// checkPanicsCounted checks that every run of the panicking task is a
// failure named by its panic, and that the other task went on.
func checkPanicsCounted(t *testing.T, s *results.Snapshot, ok, bad int64) {
	t.Helper()
	okStats, _ := s.Entry(results.EntryKey{Method: "GET", Name: "ok"})
	badStats, _ := s.Entry(results.EntryKey{Method: "GET", Name: "bad"})
	if bad == 0 || ok == 0 {
		t.Fatalf("tasks ran %d ok and %d panicking times, want both", ok, bad)
	}
	if badStats.Count() != bad || badStats.Failures() != bad {
		t.Errorf("panicking task: %d recorded, %d failed, of %d runs", badStats.Count(), badStats.Failures(), bad)
	}
	if okStats.Count() != ok || okStats.Failures() != 0 {
		t.Errorf("other task: %d recorded (%d failed) of %d runs", okStats.Count(), okStats.Failures(), ok)
	}
	if len(s.Errors) != 1 || !strings.HasPrefix(s.Errors[0].Error, "panic: assignment to entry in nil map") {
		t.Errorf("errors %+v, want one group for the panic", s.Errors)
	}
}

func TestPanickingTaskIsAFailureAndTheRunGoesOn(t *testing.T) {
	var ok, bad atomic.Int64
	r, err := New(Config{Tasks: panicky(&ok, &bad), NewClient: newNop, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetUsers(4); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	r.Stop(time.Second)
	checkPanicsCounted(t, drainAll(t, r), ok.Load(), bad.Load())
}

func TestPanickingTaskInTheOpenModel(t *testing.T) {
	var ok, bad atomic.Int64
	r, err := NewDispatcher(DispatcherConfig{Tasks: panicky(&ok, &bad), Arrivals: constantArrivals(t, 1000, 100*time.Millisecond), NewClient: newNop})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Stop(time.Second)
	d := results.NewDelta()
	r.Drain(d)
	agg := results.NewAggregator(time.Now(), results.AggregatorOptions{})
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	checkPanicsCounted(t, agg.Snapshot(time.Now()), ok.Load(), bad.Load())
}

type panickingWaiter struct{}

func (panickingWaiter) Next(*rand.Rand, time.Duration) time.Duration { panic("bad waiter") }

func TestPanicsInWaitersAndInitUser(t *testing.T) {
	var ok, bad atomic.Int64
	tasks := panicky(&ok, &bad)[:1]
	r, err := New(Config{Tasks: tasks, NewClient: newNop, Wait: panickingWaiter{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetUsers(1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	r.Stop(time.Second)
	s := drainAll(t, r)
	if len(s.Errors) != 1 || s.Errors[0].Error != "panic: bad waiter" || ok.Load() < 2 {
		t.Errorf("errors %+v after %d runs, want the waiter's panic counted and the user going on", s.Errors, ok.Load())
	}

	ok.Store(0)
	r, err = New(Config{Tasks: tasks, NewClient: newNop, InitUser: func(*User) { panic("no data file") }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetUsers(2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	r.Stop(time.Second)
	s = drainAll(t, r)
	if len(s.Errors) != 1 || s.Errors[0].Error != "preparing the user: panic: no data file" || s.Errors[0].Count != 2 || ok.Load() < 2 {
		t.Errorf("errors %+v after %d runs, want the set-up's panic counted once per user and the users going on", s.Errors, ok.Load())
	}
}
