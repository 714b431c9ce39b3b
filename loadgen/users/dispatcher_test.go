package users

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/race"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
)

func constantArrivals(t testing.TB, rate float64, d time.Duration) schedule.Arrivals {
	t.Helper()
	a, err := schedule.NewArrivals(schedule.ArrivalConstant, schedule.Constant(rate).Until(d), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// runOpen runs cfg to the end of its arrivals, stops with grace, and
// returns the statistics and counts.
func runOpen(t *testing.T, cfg DispatcherConfig, grace time.Duration) (*results.Snapshot, results.OpenStats) {
	t.Helper()
	if cfg.NewClient == nil {
		cfg.NewClient = newNop
	}
	r, err := NewDispatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Stop(grace)
	return drainOpen(t, r), r.Stats()
}

func drainOpen(t *testing.T, r *Dispatcher) *results.Snapshot {
	t.Helper()
	d := results.NewDelta()
	r.Drain(d)
	agg := results.NewAggregator(time.Now(), results.AggregatorOptions{})
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	return agg.Snapshot(time.Now())
}

func sleepTask(d time.Duration) Task {
	return Task{Method: "GET", Name: "sleep", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		time.Sleep(d)
		return 1, nil
	}}
}

// TestOpenNeverSendsEarly checks that every request of a constant schedule
// is sent, and none before its intended time: the k-th send is never
// earlier than the k-th intended time.
func TestOpenNeverSendsEarly(t *testing.T) {
	const rate, dur = 200.0, 500 * time.Millisecond
	var mu sync.Mutex
	var sends []time.Duration
	var start time.Time
	task := Task{Method: "GET", Name: "x", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		mu.Lock()
		sends = append(sends, time.Since(start))
		mu.Unlock()
		return 0, nil
	}}
	r, err := NewDispatcher(DispatcherConfig{Tasks: []Task{task}, Arrivals: constantArrivals(t, rate, dur), NewClient: newNop})
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := r.Run(context.Background(), start); err != nil {
		t.Fatal(err)
	}
	r.Stop(time.Second)
	st := r.Stats()
	if st.Scheduled != 100 || st.Sent != 100 || st.Dropped != 0 || st.Abandoned != 0 {
		t.Fatalf("stats %+v, want 100 scheduled and sent", st)
	}
	slices.Sort(sends)
	p, _ := schedule.NewPacer(schedule.Constant(rate).Until(dur), 0)
	for k, at := range sends {
		want, _ := p.Intended(uint64(k))
		if at < want {
			t.Errorf("send %d at %v, before its intended %v", k, at, want)
		}
	}
	if s := drainOpen(t, r); s.Total.Count() != 100 {
		t.Errorf("%d requests recorded, want 100", s.Total.Count())
	}
}

// TestOpenBatchesWakeUpsAtHighRates checks the dispatcher's wake-ups: at a
// rate above one request per minWakeGap they are never closer together
// than minWakeGap and each sends several requests, while at a low rate
// each request still has a wake-up of its own, so its send is not
// delayed.
func TestOpenBatchesWakeUpsAtHighRates(t *testing.T) {
	for _, tc := range []struct {
		rate    float64
		batched bool
	}{
		{rate: 20000, batched: true},
		{rate: 500},
	} {
		const dur = 400 * time.Millisecond
		nop := Task{Method: "GET", Name: "x", Weight: 1, Run: func(context.Context, *User) (int64, error) { return 0, nil }}
		r, err := NewDispatcher(DispatcherConfig{Tasks: []Task{nop}, Arrivals: constantArrivals(t, tc.rate, dur), NewClient: newNop, MaxLag: -1})
		if err != nil {
			t.Fatal(err)
		}
		var wakes []time.Duration // the dispatcher goroutine alone appends
		r.onWake = func(at time.Duration) { wakes = append(wakes, at) }
		if err := r.Run(context.Background(), time.Now()); err != nil {
			t.Fatal(err)
		}
		r.Stop(time.Second)
		arrivals := int(tc.rate * dur.Seconds())
		if st := r.Stats(); st.Sent != uint64(arrivals) {
			t.Fatalf("rate %v: %d sent, want %d", tc.rate, st.Sent, arrivals)
		}
		for i := 1; i < len(wakes); i++ {
			if gap := wakes[i] - wakes[i-1]; gap < minWakeGap {
				t.Fatalf("rate %v: wake-ups %d and %d only %v apart, want at least %v", tc.rate, i-1, i, gap, minWakeGap)
			}
		}
		if tc.batched {
			if most := int(dur / minWakeGap); len(wakes) > most {
				t.Errorf("rate %v: %d wake-ups for %d requests, want at most %d", tc.rate, len(wakes), arrivals, most)
			}
		} else if len(wakes) < arrivals*3/4 {
			// A wake-up that comes late finds the next request due as
			// well; on a loaded machine a few do.
			t.Errorf("rate %v: %d wake-ups for %d requests, want one for nearly each", tc.rate, len(wakes), arrivals)
		}
	}
}

// connectClient is a client that can connect ahead; it notes when.
type connectClient struct {
	nopClient
	connected *atomic.Int64
	lastAt    *atomic.Int64 // when the last Connect returned, in ns since the epoch
	url       string
	mu        *sync.Mutex
}

func (c connectClient) Connect(_ context.Context, url string) error {
	c.mu.Lock()
	if url != c.url {
		c.mu.Unlock()
		return errors.New("connected to " + url)
	}
	c.mu.Unlock()
	time.Sleep(2 * time.Millisecond) // a dial
	c.connected.Add(1)
	c.lastAt.Store(time.Now().UnixNano())
	return nil
}

// TestOpenPreparesSlotsBeforeTheFirstArrival checks that Prepare slots are
// made and connected before the first request is sent, and that they
// serve the schedule: at a rate they can keep up with, no other slot is
// made.
func TestOpenPreparesSlotsBeforeTheFirstArrival(t *testing.T) {
	var connected, lastAt, firstSend atomic.Int64
	var mu sync.Mutex
	task := Task{Method: "GET", Name: "x", Weight: 1, Run: func(context.Context, *User) (int64, error) {
		firstSend.CompareAndSwap(0, time.Now().UnixNano())
		return 0, nil
	}}
	newClient := func() (client.Client, error) {
		return connectClient{connected: &connected, lastAt: &lastAt, url: "http://target:8080", mu: &mu}, nil
	}
	r, err := NewDispatcher(DispatcherConfig{
		Tasks: []Task{task}, Arrivals: constantArrivals(t, 100, 300*time.Millisecond), NewClient: newClient,
		Prepare: 4, ConnectURL: "http://target:8080",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Stop(time.Second)
	st := r.Stats()
	if st.Sent != 30 {
		t.Fatalf("%d sent, want 30", st.Sent)
	}
	if n := connected.Load(); n != 4 {
		t.Errorf("%d slots connected ahead, want 4", n)
	}
	if n := r.Slots(); n != 4 {
		t.Errorf("%d slots, want the 4 prepared: 100 instant requests a second need no more", n)
	}
	// Instant requests 10 ms apart are in flight one at a time, unless the
	// dispatcher itself is held up (a busy test machine) and sends a few
	// at once; never more than the prepared slots.
	if st.Slots < 1 || st.Slots > 4 {
		t.Errorf("at most %d in flight, want 1 to 4: 100 instant requests a second on 4 slots", st.Slots)
	}
	if firstSend.Load() < lastAt.Load() {
		t.Errorf("the first request went out %v before the last prepared slot had connected", time.Duration(lastAt.Load()-firstSend.Load()))
	}
}

// TestOpenPrepareRespectsTheCap: no more slots are prepared than may be in
// flight, and a client that cannot connect ahead is simply made.
func TestOpenPrepareRespectsTheCap(t *testing.T) {
	r, err := NewDispatcher(DispatcherConfig{
		Tasks: []Task{sleepTask(0)}, Arrivals: constantArrivals(t, 100, 50*time.Millisecond), NewClient: newNop,
		Prepare: 50, MaxInFlight: 3, ConnectURL: "http://target:8080",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Stop(time.Second)
	if st := r.Stats(); r.Slots() != 3 || st.Sent != 5 {
		t.Errorf("%d slots, stats %+v: want 3 slots (the cap) and 5 sent", r.Slots(), st)
	}
}

// TestOpenPrepareBeforeRun checks Prepare on its own: it connects the
// slots before Run, which then connects none again, and a dispatcher that
// never runs still stops at once, its prepared slots with it.
func TestOpenPrepareBeforeRun(t *testing.T) {
	var connected, lastAt atomic.Int64
	var mu sync.Mutex
	newClient := func() (client.Client, error) {
		return connectClient{connected: &connected, lastAt: &lastAt, url: "http://target:8080", mu: &mu}, nil
	}
	cfg := DispatcherConfig{
		Tasks: []Task{sleepTask(0)}, Arrivals: constantArrivals(t, 100, 100*time.Millisecond), NewClient: newClient,
		Prepare: 4, ConnectURL: "http://target:8080",
	}
	r, err := NewDispatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := connected.Load(); n != 4 {
		t.Fatalf("%d slots connected when Prepare returned, want 4", n)
	}
	if err := r.Prepare(context.Background()); err != nil || connected.Load() != 4 {
		t.Fatalf("a second Prepare: %v, %d connected; want nothing more", err, connected.Load())
	}
	if err := r.Run(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Stop(time.Second)
	if st := r.Stats(); st.Sent != 10 || connected.Load() != 4 || r.Slots() != 4 {
		t.Errorf("sent %d, %d connected, %d slots: want 10 sent by the 4 prepared slots, connected once", st.Sent, connected.Load(), r.Slots())
	}

	// Prepared, never run: Stop must not wait out its grace for slots
	// that wait for work.
	cfg.Arrivals = constantArrivals(t, 100, 100*time.Millisecond)
	idle, err := NewDispatcher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := idle.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	idle.Stop(15 * time.Second)
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("Stop of a prepared dispatcher that never ran took %v", d)
	}
	if err := idle.Run(context.Background(), time.Now()); err == nil {
		t.Error("Run after Stop: no error")
	}
}

// TestOpenLatencyIncludesTheWaitForASlot runs a 20 ms task at 100 requests
// per second through one slot: the requests queue, and their latencies,
// counted from the intended times, grow with the queue while their service
// times stay at the task's 20 ms.
func TestOpenLatencyIncludesTheWaitForASlot(t *testing.T) {
	const task = 20 * time.Millisecond
	s, st := runOpen(t, DispatcherConfig{
		Tasks:       []Task{sleepTask(task)},
		Arrivals:    constantArrivals(t, 100, 100*time.Millisecond),
		MaxInFlight: 1,
		MaxLag:      -1,
	}, 5*time.Second)
	if st.Sent != 10 || st.Dropped != 0 || st.Slots != 1 {
		t.Fatalf("stats %+v, want 10 sent through one slot", st)
	}
	if st.Saturated == 0 || st.Late == 0 || st.MaxLate < 80*time.Millisecond {
		t.Errorf("stats %+v: the queue should show as saturated and late", st)
	}
	if s.Total.Count() != 10 {
		t.Fatalf("%d recorded, want 10", s.Total.Count())
	}
	// Request 9, due at 90 ms, cannot finish before the ten tasks in front
	// of it and itself have run: 200 ms in.
	if max := s.Total.Max(); max < 200*time.Millisecond-90*time.Millisecond {
		t.Errorf("longest latency %v, want at least 110ms", max)
	}
	svc, ok := s.Total.Service()
	if !ok || svc.Count() != 10 {
		t.Fatalf("service series: %v, %d values", ok, svc.Count())
	}
	if svc.Min() < task || svc.Max() > s.Total.Max() {
		t.Errorf("service times %v..%v, latency max %v: want service at least %v and never above latency", svc.Min(), svc.Max(), s.Total.Max(), task)
	}
	if svc.Percentile(0.5) >= s.Total.Percentile(0.5) {
		t.Errorf("median service %v not below median latency %v", svc.Percentile(0.5), s.Total.Percentile(0.5))
	}
}

// TestOpenDropsBeyondMaxLag stalls the only slot for 300 ms at 100
// requests per second with a 50 ms lag bound: the requests that cannot be
// sent within 50 ms of their time are dropped and counted, not sent late.
func TestOpenDropsBeyondMaxLag(t *testing.T) {
	var first atomic.Bool
	task := Task{Method: "GET", Name: "x", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		if first.CompareAndSwap(false, true) {
			time.Sleep(300 * time.Millisecond)
		}
		return 0, nil
	}}
	s, st := runOpen(t, DispatcherConfig{
		Tasks:       []Task{task},
		Arrivals:    constantArrivals(t, 100, 500*time.Millisecond),
		MaxInFlight: 1,
		MaxLag:      50 * time.Millisecond,
	}, 5*time.Second)
	if st.Scheduled != 50 || st.Sent+st.Dropped != 50 {
		t.Fatalf("stats %+v: want 50 scheduled, each sent or dropped", st)
	}
	// The slot is busy until 300 ms, so requests 1 to 24, due from 10 to
	// 240 ms, are more than 50 ms late by then whatever the timing: they
	// are dropped. A slow machine may drop more, never fewer.
	if st.Dropped < 24 {
		t.Errorf("%d dropped, want at least 24", st.Dropped)
	}
	if uint64(s.Total.Count()) != st.Sent {
		t.Errorf("%d recorded, %d sent", s.Total.Count(), st.Sent)
	}
	// Sending them all late instead would show as one about 290 ms late.
	if st.MaxLate > 50*time.Millisecond+150*time.Millisecond {
		t.Errorf("a request was sent %v late, beyond the 50ms bound", st.MaxLate)
	}
	w := strings.Join(st.Warnings(), "\n")
	if !strings.Contains(w, "dropped") || !strings.Contains(w, "in-flight slots busy") {
		t.Errorf("warnings do not explain the drops:\n%s", w)
	}
}

// TestOpenMakesSlotsAsNeeded checks that a fast target needs few slots, a
// slow one about rate × latency of them, and that the cap holds.
func TestOpenMakesSlotsAsNeeded(t *testing.T) {
	// Requests 20 ms apart to an instant target: a second slot is made
	// only if a finished slot goes unscheduled for 20 ms.
	_, fast := runOpen(t, DispatcherConfig{Tasks: []Task{sleepTask(0)}, Arrivals: constantArrivals(t, 50, 300*time.Millisecond)}, time.Second)
	if fast.Slots < 1 || fast.Slots > 3 || fast.Sent != 15 {
		t.Errorf("a fast target used %d slots for %d requests, want one or two", fast.Slots, fast.Sent)
	}
	// 500/s × 50 ms: 25 in flight at once, more if the dispatcher lags
	// and sends in bursts.
	_, slow := runOpen(t, DispatcherConfig{Tasks: []Task{sleepTask(50 * time.Millisecond)}, Arrivals: constantArrivals(t, 500, 200*time.Millisecond)}, time.Second)
	if slow.Slots < 20 || slow.Slots > 100 {
		t.Errorf("a 50ms target at 500/s used %d slots, want about 25", slow.Slots)
	}
	_, capped := runOpen(t, DispatcherConfig{Tasks: []Task{sleepTask(50 * time.Millisecond)}, Arrivals: constantArrivals(t, 500, 200*time.Millisecond), MaxInFlight: 3, MaxLag: -1}, 5*time.Second)
	if capped.Slots != 3 || capped.Sent != 100 || capped.Saturated == 0 {
		t.Errorf("capped at 3: %+v", capped)
	}
}

// TestOpenKeepsUpWithASlowTargetFromTheStart: prepared slots are few and a
// slow target needs many. Until its first response, every request that
// finds the slots busy gets a new one, so the slots reach rate × latency
// by then; waiting growAfter for each would add one slot per wait.
func TestOpenKeepsUpWithASlowTargetFromTheStart(t *testing.T) {
	_, st := runOpen(t, DispatcherConfig{
		Tasks:    []Task{sleepTask(50 * time.Millisecond)},
		Arrivals: constantArrivals(t, 4000, 300*time.Millisecond),
		Prepare:  4,
	}, 5*time.Second)
	if st.Sent != 1200 || st.Dropped != 0 {
		t.Fatalf("stats %+v, want 1,200 sent", st)
	}
	// 4,000/s × 50 ms: about 200 in flight. Growing one slot per 2 ms
	// wait would take 400 ms to get there and leave requests 100s of ms
	// late.
	if st.Slots < 150 {
		t.Errorf("at most %d in flight, want about 200", st.Slots)
	}
	if st.MaxLate > 60*time.Millisecond {
		t.Errorf("a request went %v late: the slots grew one wait at a time", st.MaxLate)
	}
}

// TestOpenTaskMixAndFailures checks the exact 3:1 mix of smooth weighted
// round robin and that failures are recorded with their text.
func TestOpenTaskMixAndFailures(t *testing.T) {
	var ids sync.Map
	tasks := []Task{
		{Method: "GET", Name: "ok", Weight: 3, Run: func(ctx context.Context, u *User) (int64, error) {
			ids.Store(u.ID, true)
			return 5, nil
		}},
		{Method: "POST", Name: "bad", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
			return 0, &StatusError{Code: 503}
		}},
	}
	s, st := runOpen(t, DispatcherConfig{Tasks: tasks, Arrivals: constantArrivals(t, 1000, 100*time.Millisecond), Seed: 3, FirstID: 100}, time.Second)
	if st.Sent != 100 {
		t.Fatalf("%+v", st)
	}
	ok, _ := s.Entry(results.EntryKey{Method: "GET", Name: "ok"})
	bad, _ := s.Entry(results.EntryKey{Method: "POST", Name: "bad"})
	if ok.Count() != 75 || bad.Count() != 25 || bad.Failures() != 25 || ok.Failures() != 0 {
		t.Errorf("ok %d (%d failed), bad %d (%d failed); want 75 and 25 failed", ok.Count(), ok.Failures(), bad.Count(), bad.Failures())
	}
	if ok.Bytes() != 5*75 {
		t.Errorf("bytes %d", ok.Bytes())
	}
	if len(s.Errors) != 1 || s.Errors[0].Error != "HTTP 503 Service Unavailable" || s.Errors[0].Count != 25 {
		t.Errorf("errors %+v", s.Errors)
	}
	ids.Range(func(k, _ any) bool {
		if id := k.(int); id <= 100 || id > 100+st.Slots {
			t.Errorf("slot id %d outside 101..%d", id, 100+st.Slots)
		}
		return true
	})
}

// TestOpenStopEndsAnUnendingSchedule stops an unending rate by its context
// and checks that every scheduled request was accounted for.
func TestOpenStopEndsAnUnendingSchedule(t *testing.T) {
	a, err := schedule.NewArrivals(schedule.ArrivalPoisson, schedule.Constant(500), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewDispatcher(DispatcherConfig{Tasks: []Task{sleepTask(time.Millisecond)}, Arrivals: a, NewClient: newNop})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, time.Now()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	r.Stop(time.Second)
	st := r.Stats()
	if st.Scheduled < 20 || st.Scheduled != st.Sent+st.Dropped {
		t.Errorf("stats %+v: want scheduled = sent + dropped, and some of them", st)
	}
	if s := drainOpen(t, r); uint64(s.Total.Count()) != st.Sent {
		t.Errorf("%d recorded, %d sent", s.Total.Count(), st.Sent)
	}
	if err := r.Run(context.Background(), time.Now()); err == nil {
		t.Error("a second Run: no error")
	}
	if n := r.InFlight(); n != 0 {
		t.Errorf("%d in flight after Stop", n)
	}
}

// TestOpenStopAbandonsAfterGrace checks that a request still running when
// the grace period ends is counted as abandoned and not recorded.
func TestOpenStopAbandonsAfterGrace(t *testing.T) {
	entered := make(chan struct{}, 1)
	task := Task{Method: "GET", Name: "hang", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return 0, ctx.Err()
	}}
	var closed atomic.Int64
	r, err := NewDispatcher(DispatcherConfig{
		Tasks:     []Task{task},
		Arrivals:  constantArrivals(t, 1, time.Second),
		NewClient: func() (client.Client, error) { return nopClient{&closed}, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	// The request goes out after this and before the task says so; its
	// time in flight is measured from when the dispatcher sent it, so
	// only a time taken before Run bounds it from above.
	start := time.Now()
	if err := r.Run(context.Background(), start); err != nil {
		t.Fatal(err)
	}
	<-entered
	if n := r.InFlight(); n != 1 {
		t.Errorf("InFlight = %d, want 1", n)
	}
	time.Sleep(100 * time.Millisecond)
	r.Stop(50 * time.Millisecond)
	inFlight := time.Since(start)
	// Stop returns with the counts settled and the slot closed.
	if st := r.Stats(); st.Abandoned != 1 || st.Sent != 1 {
		t.Errorf("stats %+v, want the one request abandoned", st)
	}
	s := drainOpen(t, r)
	if s.Total.Count() != 0 {
		t.Errorf("an abandoned request was recorded")
	}
	// The statistics count it too, with its time in flight.
	if a := s.Abandoned; a.Count != 1 || a.Oldest < 150*time.Millisecond || a.Oldest > inFlight {
		t.Errorf("abandoned %+v, want 1 after 150ms to %v in flight", a, inFlight)
	}
	if closed.Load() != 1 {
		t.Error("the slot's client was not closed")
	}
}

func TestOpenRunFailsWhenNoClient(t *testing.T) {
	r, err := NewDispatcher(DispatcherConfig{
		Tasks:     []Task{sleepTask(0)},
		Arrivals:  constantArrivals(t, 100, time.Second),
		NewClient: func() (client.Client, error) { return nil, errors.New("no sockets") },
	})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(context.Background(), time.Now())
	if err == nil || !strings.Contains(err.Error(), "no sockets") {
		t.Errorf("Run = %v, want the client error", err)
	}
	r.Stop(time.Second)
}

func TestNewOpenRejects(t *testing.T) {
	a := constantArrivals(t, 1, time.Second)
	tests := []struct {
		name string
		cfg  DispatcherConfig
	}{
		{"no client", DispatcherConfig{Tasks: []Task{sleepTask(0)}, Arrivals: a}},
		{"no arrivals", DispatcherConfig{Tasks: []Task{sleepTask(0)}, NewClient: newNop}},
		{"no tasks", DispatcherConfig{Arrivals: a, NewClient: newNop}},
		{"zero weights", DispatcherConfig{Tasks: []Task{{Name: "x", Run: sleepTask(0).Run}}, Arrivals: a, NewClient: newNop}},
		{"no run", DispatcherConfig{Tasks: []Task{{Name: "x", Weight: 1}}, Arrivals: a, NewClient: newNop}},
	}
	for _, tt := range tests {
		if _, err := NewDispatcher(tt.cfg); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// openBurst runs n requests of a no-op task, all due at once, and returns
// the process's heap allocations meanwhile.
func openBurst(tb testing.TB, n int) uint64 {
	tb.Helper()
	arr, err := schedule.NewArrivals(schedule.ArrivalConstant, schedule.Rate{Start: schedule.MaxRate, Stages: []schedule.Stage{{Duration: time.Duration(n), Target: schedule.MaxRate}}}, 0, 0)
	if err != nil {
		tb.Fatal(err)
	}
	nop := Task{Method: "GET", Name: "x", Weight: 1, Run: func(context.Context, *User) (int64, error) { return 0, nil }}
	r, err := NewDispatcher(DispatcherConfig{Tasks: []Task{nop}, Arrivals: arr, NewClient: newNop, MaxInFlight: 2, MaxLag: -1})
	if err != nil {
		tb.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := r.Run(context.Background(), time.Now()); err != nil {
		tb.Fatal(err)
	}
	r.Stop(time.Minute)
	runtime.ReadMemStats(&after)
	if st := r.Stats(); st.Sent != uint64(n) {
		tb.Fatalf("sent %d of %d", st.Sent, n)
	}
	return after.Mallocs - before.Mallocs
}

// TestOpenRunnerAllocatesNothingPerRequest pins the dispatch, hand-over and
// recording path at zero allocations per request: two runs of different
// lengths allocate the same, apart from the recorder buffers growing once.
func TestOpenRunnerAllocatesNothingPerRequest(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are meaningless under the race detector; make test runs this without -race")
	}
	openBurst(t, 1000)
	small := openBurst(t, 2000)
	large := openBurst(t, 42000)
	if per := (float64(large) - float64(small)) / 40000; per > 0.01 {
		t.Errorf("%.3f allocations per request (%d for 2000, %d for 42000), want 0", per, small, large)
	}
}

// BenchmarkOpenRunner measures the dispatcher's throughput with a no-op
// task: the cost of a schedule step, a hand-over and a recording.
func BenchmarkOpenRunner(b *testing.B) {
	b.ReportAllocs()
	openBurst(b, b.N)
}

// TestDelayHistogram checks the dispatch-delay buckets: every value falls
// into a bucket whose bound is at or above it and within 3% of it, and the
// quantiles come out of the counts in order.
func TestDelayHistogram(t *testing.T) {
	for _, us := range []int64{0, 1, 63, 64, 65, 127, 128, 1000, 999_999, 1 << 35, 1 << 40} {
		i := delayIndex(us)
		hi := delayHighest(i)
		if us <= 1<<36 && (hi < us || float64(hi-us) > 0.032*float64(us)+1) {
			t.Errorf("%d us: bucket %d up to %d", us, i, hi)
		}
		if i > 0 && us <= 1<<36 && delayHighest(i-1) >= us {
			t.Errorf("%d us: bucket %d, but bucket %d already reaches %d", us, i, i-1, delayHighest(i-1))
		}
	}
	var h delayHistogram
	if got := h.quantile(0.99); got != 0 {
		t.Errorf("empty quantile = %v", got)
	}
	for i := range 100 {
		h.record(time.Duration(i+1) * time.Millisecond)
	}
	p50, p99 := h.quantile(0.5), h.quantile(0.99)
	if p50 < 50*time.Millisecond || p50 > 52*time.Millisecond {
		t.Errorf("p50 = %v, want about 50ms", p50)
	}
	if p99 < 99*time.Millisecond || p99 > 102*time.Millisecond {
		t.Errorf("p99 = %v, want about 99ms", p99)
	}
}

// TestOpenBurstNeedsFewSlots sends 2,000 requests due at once to an
// instant target, as after a stall of the generator: slots that finish
// come back for more, so a handful serve the backlog instead of a new
// connection per request.
func TestOpenBurstNeedsFewSlots(t *testing.T) {
	arr, err := schedule.NewArrivals(schedule.ArrivalConstant, schedule.Rate{Start: schedule.MaxRate, Stages: []schedule.Stage{{Duration: 2000, Target: schedule.MaxRate}}}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	nop := Task{Method: "GET", Name: "x", Weight: 1, Run: func(context.Context, *User) (int64, error) { return 0, nil }}
	_, st := runOpen(t, DispatcherConfig{Tasks: []Task{nop}, Arrivals: arr, MaxLag: -1}, 5*time.Second)
	if st.Sent != 2000 {
		t.Fatalf("sent %d of 2000", st.Sent)
	}
	if st.Slots > 16 {
		t.Errorf("%d slots for a burst of instant requests, want a handful", st.Slots)
	}
}
