package users

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/results"
)

// nopClient is a client that is never called: the tasks in these tests do
// their own work.
type nopClient struct{ closed *atomic.Int64 }

func (nopClient) Do(context.Context, *client.Request) (client.Response, error) {
	return client.Response{}, errors.New("not used")
}
func (c nopClient) Close() error {
	if c.closed != nil {
		c.closed.Add(1)
	}
	return nil
}

func newNop() (client.Client, error) { return nopClient{}, nil }

// constantWait waits the same after every task.
type constantWait time.Duration

func (w constantWait) Next(*rand.Rand, time.Duration) time.Duration { return time.Duration(w) }

func drainAll(t *testing.T, r *Runner) *results.Snapshot {
	t.Helper()
	d := results.NewDelta()
	r.Drain(d)
	agg := results.NewAggregator(time.Now(), results.AggregatorOptions{})
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	agg.Tick(time.Now(), r.Users())
	return agg.Snapshot(time.Now())
}

func TestRunnerRecordsEveryTaskRun(t *testing.T) {
	var ok, bad atomic.Int64
	tasks := []Task{
		{Method: "GET", Name: "ok", Weight: 3, Run: func(ctx context.Context, u *User) (int64, error) {
			ok.Add(1)
			time.Sleep(100 * time.Microsecond)
			return 10, nil
		}},
		{Method: "POST", Name: "bad", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
			bad.Add(1)
			time.Sleep(100 * time.Microsecond)
			return 0, &StatusError{Code: 503}
		}},
	}
	r, err := New(Config{Tasks: tasks, NewClient: newNop, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetUsers(8); err != nil {
		t.Fatal(err)
	}
	if got := r.Users(); got != 8 {
		t.Fatalf("Users() = %d, want 8", got)
	}
	// Drain concurrently with recording, as the flusher does.
	d := results.NewDelta()
	for range 20 {
		time.Sleep(5 * time.Millisecond)
		r.Drain(d)
	}
	r.Stop(time.Second)
	r.Drain(d)
	agg := results.NewAggregator(time.Now(), results.AggregatorOptions{})
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	s := agg.Snapshot(time.Now())
	okStats, _ := s.Entry(results.EntryKey{Method: "GET", Name: "ok"})
	badStats, _ := s.Entry(results.EntryKey{Method: "POST", Name: "bad"})
	if okStats.Count() != ok.Load() || badStats.Count() != bad.Load() {
		t.Errorf("recorded %d ok and %d bad, tasks ran %d and %d", okStats.Count(), badStats.Count(), ok.Load(), bad.Load())
	}
	if badStats.Failures() != badStats.Count() || okStats.Failures() != 0 {
		t.Errorf("failures: ok %d, bad %d of %d", okStats.Failures(), badStats.Failures(), badStats.Count())
	}
	if okStats.Bytes() != 10*okStats.Count() {
		t.Errorf("bytes %d for %d requests of 10", okStats.Bytes(), okStats.Count())
	}
	if len(s.Errors) != 1 || s.Errors[0].Count != bad.Load() {
		t.Fatalf("errors %+v, want one group of %d", s.Errors, bad.Load())
	}
	// Every user ran whole 3:1 cycles apart from at most one partial one.
	if n, m := ok.Load(), bad.Load(); n < 3*m-3*8 || n > 3*m+3*8 {
		t.Errorf("ok:bad = %d:%d, want about 3:1", n, m)
	}
}

func TestRunnerRetiresNewestUsersFirst(t *testing.T) {
	var mu sync.Mutex
	running := map[int]bool{}
	tasks := []Task{{Method: "GET", Name: "x", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		mu.Lock()
		running[u.ID] = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		return 0, nil
	}}}
	var closed atomic.Int64
	r, err := New(Config{Tasks: tasks, NewClient: func() (client.Client, error) { return nopClient{&closed}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.SetUsers(5); err != nil {
		t.Fatal(err)
	}
	if err := r.SetUsers(2); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	var ids []int
	for _, u := range r.active {
		ids = append(ids, u.user.ID)
	}
	r.mu.Unlock()
	if len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
		t.Errorf("active users %v, want [1 2]", ids)
	}
	r.Stop(time.Second)
	if got := closed.Load(); got != 5 {
		t.Errorf("%d clients closed, want 5", got)
	}
	if err := r.SetUsers(3); err == nil {
		t.Error("SetUsers on a stopped runner: no error")
	}
}

func TestRunnerRampTimes(t *testing.T) {
	var mu sync.Mutex
	started := map[int]time.Duration{}
	t0 := time.Now()
	tasks := []Task{{Method: "GET", Name: "x", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		time.Sleep(time.Millisecond)
		return 0, nil
	}}}
	r, err := New(Config{Tasks: tasks, NewClient: newNop, InitUser: func(u *User) {
		mu.Lock()
		started[u.ID] = time.Since(t0)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop(time.Second)
	const n, rate = 10, 20.0
	if err := r.Ramp(context.Background(), n, rate); err != nil {
		t.Fatal(err)
	}
	took := time.Since(t0)
	if r.Users() != n {
		t.Fatalf("Users() = %d after the ramp, want %d", r.Users(), n)
	}
	// InitUser runs on each user's own goroutine, so the last one may
	// still be on its way.
	for wait := 0; ; wait++ {
		mu.Lock()
		got := len(started)
		mu.Unlock()
		if got == n || wait == 100 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	// User k starts (k-1)/rate seconds in: never early, and late only by
	// scheduling noise.
	const slack = 150 * time.Millisecond
	for id := 1; id <= n; id++ {
		want := time.Duration(float64(id-1) / rate * float64(time.Second))
		if got := started[id]; got < want || got > want+slack {
			t.Errorf("user %d started at %v, want %v (+%v)", id, got, want, slack)
		}
	}
	if want := time.Duration(float64(n-1) / rate * float64(time.Second)); took < want {
		t.Errorf("ramp returned after %v, before the last start at %v", took, want)
	}
}

// TestRunnerStopAbandonsRequestsAfterGrace: requests still in flight when
// the grace period ends are cut off and not recorded, but counted, with
// how long the oldest had been in flight.
func TestRunnerStopAbandonsRequestsAfterGrace(t *testing.T) {
	entered := make(chan struct{}, 3)
	tasks := []Task{{Method: "GET", Name: "slow", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return 0, ctx.Err()
	}}}
	r, err := New(Config{Tasks: tasks, NewClient: newNop})
	if err != nil {
		t.Fatal(err)
	}
	// The first request's age at the end lies between the time since its
	// task was entered and the time since its user was asked for.
	asked := time.Now()
	if err := r.SetUsers(1); err != nil {
		t.Fatal(err)
	}
	<-entered
	first := time.Now()
	time.Sleep(100 * time.Millisecond)
	if err := r.SetUsers(3); err != nil {
		t.Fatal(err)
	}
	<-entered
	<-entered
	t0 := time.Now()
	r.Stop(50 * time.Millisecond)
	if took := time.Since(t0); took < 50*time.Millisecond || took > 2*time.Second {
		t.Errorf("Stop took %v, want about the 50ms grace", took)
	}
	atLeast, atMost := t0.Sub(first)+50*time.Millisecond, time.Since(asked)
	s := drainAll(t, r)
	if s.Total.Count() != 0 {
		t.Errorf("an abandoned request was recorded: %d", s.Total.Count())
	}
	if a := s.Abandoned; a.Count != 3 || a.Oldest < atLeast || a.Oldest > atMost {
		t.Errorf("abandoned %+v, want 3, the oldest after %v to %v in flight", a, atLeast, atMost)
	}
	if s := drainAll(t, r); s.Abandoned.Count != 0 {
		t.Errorf("a second drain counts %d abandoned requests again", s.Abandoned.Count)
	}
}

func TestNewRejectsBadTasks(t *testing.T) {
	run := func(context.Context, *User) (int64, error) { return 0, nil }
	tests := []struct {
		name  string
		tasks []Task
	}{
		{"no tasks", nil},
		{"all zero", []Task{{Name: "a", Weight: 0, Run: run}}},
		{"negative", []Task{{Name: "a", Weight: -1, Run: run}, {Name: "b", Weight: 1, Run: run}}},
		{"no run", []Task{{Name: "a", Weight: 1}}},
	}
	for _, tt := range tests {
		if _, err := New(Config{Tasks: tt.tasks, NewClient: newNop}); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestStatusErrorText(t *testing.T) {
	if got := (&StatusError{503}).Error(); got != "HTTP 503 Service Unavailable" {
		t.Errorf("got %q", got)
	}
	if got := (&StatusError{599}).Error(); got != "HTTP 599" {
		t.Errorf("got %q", got)
	}
}

// TestSlowInitUserStallsNeitherRampNorStatistics holds half the users in
// InitUser: the ramp still reaches its target, the others run their tasks,
// and their statistics can be collected meanwhile.
func TestSlowInitUserStallsNeitherRampNorStatistics(t *testing.T) {
	release := make(chan struct{})
	var ran atomic.Int64
	// The held users may run tasks once released, which can happen before
	// Stop retires them: what must not happen is a task before the
	// user's own InitUser returned.
	var initDone sync.Map // user ID -> true
	tasks := []Task{{Method: "GET", Name: "x", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		if _, ok := initDone.Load(u.ID); !ok {
			t.Errorf("user %d ran a task before its InitUser returned", u.ID)
		}
		ran.Add(1)
		time.Sleep(time.Millisecond)
		return 0, nil
	}}}
	r, err := New(Config{Tasks: tasks, NewClient: newNop, InitUser: func(u *User) {
		if u.ID%2 == 0 {
			<-release
		}
		initDone.Store(u.ID, true)
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Ramp(ctx, 20, 1000); err != nil {
		t.Fatalf("the ramp did not reach 20 users: %v", err)
	}
	if r.Users() != 20 {
		t.Fatalf("Users() = %d, want 20", r.Users())
	}
	d := results.NewDelta()
	for ran.Load() < 50 {
		if ctx.Err() != nil {
			t.Fatal("the users whose InitUser returned ran no tasks")
		}
		time.Sleep(time.Millisecond)
	}
	r.Drain(d)
	if n, _ := d.Totals(); n == 0 {
		t.Error("nothing collected while InitUser held half the users")
	}
	close(release)
	r.Stop(time.Second)
}

// TestRampReachesItsTargetWhenStartingUsersIsSlow makes starting a user
// take 5 ms on a ramp of 1,000 users a second: the ramp falls behind its
// schedule, and must still end with every user started.
func TestRampReachesItsTargetWhenStartingUsersIsSlow(t *testing.T) {
	tasks := []Task{{Method: "GET", Name: "x", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		time.Sleep(time.Millisecond)
		return 0, nil
	}}}
	slow := func() (client.Client, error) {
		time.Sleep(5 * time.Millisecond)
		return nopClient{}, nil
	}
	r, err := New(Config{Tasks: tasks, NewClient: slow})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop(time.Second)
	if err := r.Ramp(context.Background(), 20, 1000); err != nil {
		t.Fatal(err)
	}
	if got := r.Users(); got != 20 {
		t.Errorf("Users() = %d after the ramp, want 20", got)
	}
}
