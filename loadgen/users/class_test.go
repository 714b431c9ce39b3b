package users

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/results"
)

// TestClassesSpreadUsersByWeight: 10 users at 4:1 are 8 and 2, and each
// runs its own class's tasks, start and stop hooks.
func TestClassesSpreadUsersByWeight(t *testing.T) {
	var mu sync.Mutex
	started := map[string]int{}
	stopped := map[string]int{}
	task := func(name string) Task {
		return Task{Method: "GET", Name: name, Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
			if u.Class+"-task" != name {
				t.Errorf("user of class %s ran %s", u.Class, name)
			}
			time.Sleep(time.Millisecond)
			return 0, nil
		}}
	}
	hook := func(m map[string]int) func(context.Context, *User) error {
		return func(_ context.Context, u *User) error {
			mu.Lock()
			m[u.Class]++
			mu.Unlock()
			return nil
		}
	}
	class := func(name string, w int) Class {
		return Class{Name: name, Weight: w, Tasks: []Task{task(name + "-task")}, OnStart: hook(started),
			OnStop: func(ctx context.Context, u *User) { _ = hook(stopped)(ctx, u) }}
	}
	r, err := New(Config{Classes: []Class{class("Shopper", 4), class("Admin", 1)}, NewClient: newNop})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetUsers(10); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if err := r.SetUsers(5); err != nil { // the newest retire: 4 and 1 remain
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	r.Stop(time.Second)
	mu.Lock()
	defer mu.Unlock()
	if started["Shopper"] != 8 || started["Admin"] != 2 {
		t.Errorf("started %v, want 8 shoppers and 2 admins", started)
	}
	if stopped["Shopper"] != 8 || stopped["Admin"] != 2 {
		t.Errorf("stopped %v: every user runs on_stop once, at its retirement or at the end", stopped)
	}
}

// TestWorkerRunsItsShareOfTheMix: a runner placed at offset 1 of 3 runs
// the classes of the fleet's users 1, 4, 7, ...
func TestWorkerRunsItsShareOfTheMix(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	run := func(ctx context.Context, u *User) (int64, error) { time.Sleep(time.Millisecond); return 0, nil }
	start := func(_ context.Context, u *User) error { mu.Lock(); got[u.Class]++; mu.Unlock(); return nil }
	cfg := Config{NewClient: newNop, UserOffset: 1, UserStride: 3, Classes: []Class{
		{Name: "A", Weight: 2, Tasks: []Task{{Name: "a", Weight: 1, Run: run}}, OnStart: start},
		{Name: "B", Weight: 1, Tasks: []Task{{Name: "b", Weight: 1, Run: run}}, OnStart: start},
	}}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetUsers(4); err != nil { // fleet users 1, 4, 7, 10 of the sequence A B A A B A ...
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	r.Stop(time.Second)
	mu.Lock()
	defer mu.Unlock()
	mix := r.mix
	want := map[string]int{}
	for k := 0; k < 4; k++ {
		want[[]string{"A", "B"}[mix.Of(1+3*k)]]++
	}
	if got["A"] != want["A"] || got["B"] != want["B"] {
		t.Errorf("classes %v, want %v", got, want)
	}
}

// TestTasksRecordTheirOwnRequests: a task that makes several requests
// through the user records each under its own name, with Fail and Record;
// the task itself is no row.
func TestTasksRecordTheirOwnRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s1", Path: "/"})
			w.Write([]byte(`{"token":"t"}`))
		case "/me":
			if c, err := r.Cookie("sid"); err != nil || c.Value != "s1" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Write([]byte(`{"error":"soft failure"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	var runs atomic.Int64
	journey := Task{Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		runs.Add(1)
		u.Request(ctx, "login", &client.Request{Method: "POST", URL: srv.URL + "/login"})
		if _, err := u.Request(ctx, "/me", &client.Request{URL: srv.URL + "/me", KeepBody: true}); err == nil &&
			strings.Contains(string(u.Last().Body()), "error") {
			u.Fail(errors.New("error in body"))
		}
		u.Request(ctx, "/missing", &client.Request{URL: srv.URL + "/missing"})
		u.Record("grpc", "Checkout", 3*time.Millisecond, 10, nil)
		return 0, nil
	}}
	r, err := New(Config{Tasks: []Task{journey}, NewClient: func() (client.Client, error) {
		return client.New(client.KindNetHTTP, client.Options{Timeout: 5 * time.Second})
	}, Wait: constWait(5 * time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	r.SetUsers(2)
	for runs.Load() < 6 {
		time.Sleep(time.Millisecond)
	}
	r.Stop(time.Second)
	s := drainAll(t, r)
	n := runs.Load()
	for _, want := range []struct {
		key         results.EntryKey
		count, fail bool
		text        string
	}{
		{key: results.EntryKey{Method: "POST", Name: "login"}},
		{key: results.EntryKey{Method: "GET", Name: "/me"}, fail: true, text: "error in body"},
		{key: results.EntryKey{Method: "GET", Name: "/missing"}, fail: true, text: "HTTP 404 Not Found"},
		{key: results.EntryKey{Method: "grpc", Name: "Checkout"}},
	} {
		e, ok := s.Entry(want.key)
		if !ok || e.Count() < n-2 || e.Count() > n {
			t.Errorf("%v: %d requests of %d task runs", want.key, e.Count(), n)
			continue
		}
		if want.fail != (e.Failures() == e.Count()) || !want.fail && e.Failures() != 0 {
			t.Errorf("%v: %d failures of %d", want.key, e.Failures(), e.Count())
		}
	}
	if len(s.Entries) != 4 {
		t.Errorf("entries %v: the task itself must not be a row", s.Entries)
	}
	texts := map[string]bool{}
	for _, e := range s.Errors {
		texts[e.Error] = true
	}
	if !texts["error in body"] || !texts["HTTP 404 Not Found"] {
		t.Errorf("errors %+v", s.Errors)
	}
}

type constWait time.Duration

func (w constWait) Next(*rand.Rand, time.Duration) time.Duration { return time.Duration(w) }

// TestPanicInUserCode: a panicking task, OnStart and OnStop are each an
// exception with its stack, the user goes on with its next task, and a
// task of its own row counts a failure.
func TestPanicInUserCode(t *testing.T) {
	var okRuns, badRuns atomic.Int64
	tasks := []Task{
		{Method: "GET", Name: "ok", Weight: 1, Run: func(context.Context, *User) (int64, error) {
			okRuns.Add(1)
			time.Sleep(100 * time.Microsecond)
			return 1, nil
		}},
		{Method: "GET", Name: "bad", Weight: 1, Run: func(context.Context, *User) (int64, error) {
			badRuns.Add(1)
			time.Sleep(100 * time.Microsecond)
			var m map[string]int
			m["boom"]++
			return 1, nil
		}},
	}
	r, err := New(Config{NewClient: newNop, Classes: []Class{{Name: "P", Weight: 1, Tasks: tasks,
		OnStop: func(context.Context, *User) { panic("stop went wrong") }}}})
	if err != nil {
		t.Fatal(err)
	}
	r.SetUsers(2)
	for okRuns.Load() < 20 || badRuns.Load() < 20 {
		time.Sleep(time.Millisecond)
	}
	if err := r.SetUsers(0); err != nil {
		t.Fatal(err)
	}
	r.Stop(time.Second)
	s := drainAll(t, r)
	bad, _ := s.Entry(results.EntryKey{Method: "GET", Name: "bad"})
	if bad.Count() != badRuns.Load() || bad.Failures() != bad.Count() {
		t.Errorf("panicking task: %d recorded, %d failed, of %d runs", bad.Count(), bad.Failures(), badRuns.Load())
	}
	if len(s.Errors) != 1 || s.Errors[0].Error != "panic: assignment to entry in nil map" {
		t.Errorf("errors %+v", s.Errors)
	}
	byMsg := map[string]results.ExceptionStats{}
	for _, e := range s.Exceptions {
		byMsg[e.Message] = e
	}
	task, stop := byMsg["assignment to entry in nil map"], byMsg["stop went wrong"]
	if task.Count != badRuns.Load() || stop.Count != 2 {
		t.Fatalf("exceptions %+v", s.Exceptions)
	}
	for _, e := range []results.ExceptionStats{task, stop} {
		if !strings.Contains(e.Traceback, "users.TestPanicInUserCode.func") || strings.Contains(e.Traceback, "goroutine") ||
			strings.Contains(e.Traceback, "runtime.") || strings.Contains(e.Traceback, "users.call") {
			t.Errorf("traceback of %q:\n%s", e.Message, e.Traceback)
		}
	}
}

// TestSlowOnStartStallsNeitherRampNorStatistics holds half the users in a
// slow login: the ramp still reaches its target, the other users run, and
// their statistics are collected meanwhile.
func TestSlowOnStartStallsNeitherRampNorStatistics(t *testing.T) {
	release := make(chan struct{})
	var ran atomic.Int64
	var released, late atomic.Bool
	tasks := []Task{{Method: "GET", Name: "x", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		if u.ID%2 == 0 && !released.Load() && !late.Load() {
			t.Errorf("user %d ran a task before its OnStart returned", u.ID)
		}
		ran.Add(1)
		time.Sleep(time.Millisecond)
		return 0, nil
	}}}
	r, err := New(Config{NewClient: newNop, Classes: []Class{{Name: "C", Weight: 1, Tasks: tasks,
		OnStart: func(ctx context.Context, u *User) error {
			if u.ID%2 == 0 {
				select {
				case <-release:
				case <-time.After(300 * time.Millisecond): // a 300 ms login
					late.Store(true)
				}
			}
			return nil
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := r.Ramp(ctx, 10, 100); err != nil || r.Users() != 10 {
		t.Fatalf("the ramp reached %d users: %v", r.Users(), err)
	}
	if took := time.Since(start); took > 250*time.Millisecond {
		t.Errorf("the ramp to 10 users at 100/s took %v: the logins held it up", took)
	}
	for ran.Load() < 20 {
		if ctx.Err() != nil {
			t.Fatal("the users past their OnStart ran no tasks")
		}
		time.Sleep(time.Millisecond)
	}
	d := results.NewDelta()
	r.Drain(d)
	if n, _ := d.Totals(); n == 0 {
		t.Error("nothing collected while OnStart held half the users")
	}
	released.Store(true)
	close(release)
	r.Stop(time.Second)
}

// TestOnStartErrorEndsTheUser: a user whose OnStart fails runs no task,
// and the failure is counted among the exceptions.
func TestOnStartErrorEndsTheUser(t *testing.T) {
	var ran atomic.Int64
	r, err := New(Config{NewClient: newNop, Classes: []Class{{Name: "D", Weight: 1,
		Tasks:   []Task{{Name: "x", Weight: 1, Run: func(context.Context, *User) (int64, error) { ran.Add(1); return 0, nil }}},
		OnStart: func(context.Context, *User) error { return errors.New("no data row left") }}}})
	if err != nil {
		t.Fatal(err)
	}
	r.SetUsers(3)
	time.Sleep(30 * time.Millisecond)
	r.Stop(time.Second)
	s := drainAll(t, r)
	if ran.Load() != 0 || len(s.Exceptions) != 1 || s.Exceptions[0].Count != 3 || !strings.Contains(s.Exceptions[0].Message, "could not start: no data row left") {
		t.Errorf("ran %d tasks; exceptions %+v", ran.Load(), s.Exceptions)
	}
}
