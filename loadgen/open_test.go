package loadgen

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// openSpec is an open-model Spec whose requests run Go tasks.
func openSpec(tasks []users.Task, rate schedule.Rate) *Spec {
	s := goSpec(tasks)
	s.Open = &OpenModel{Rate: rate}
	return s
}

// getTask is a task that GETs url and fails on any status but 200.
func getTask(url string) users.Task {
	return users.Task{Method: "GET", Name: "/", Weight: 1, Run: func(ctx context.Context, u *users.User) (int64, error) {
		u.Req.Method = "GET"
		u.Req.URL = url
		resp, err := u.Client.Do(ctx, &u.Req)
		if err != nil {
			return resp.Bytes, err
		}
		if resp.Status != http.StatusOK {
			return resp.Bytes, &users.StatusError{Code: resp.Status}
		}
		return resp.Bytes, nil
	}}
}

// TestRunOpenSendsTheSchedule runs 100 requests per second for a second
// against each client and checks that exactly the scheduled 100 arrived,
// were recorded with a service-time series, and that ticks saw them.
func TestRunOpenSendsTheSchedule(t *testing.T) {
	for _, kind := range client.Kinds() {
		t.Run(kind, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Write([]byte("ok"))
			}))
			defer srv.Close()
			var ticks, statTicks atomic.Int64
			spec := openSpec([]users.Task{getTask(srv.URL)}, schedule.Constant(100))
			spec.Client, spec.Timeout, spec.RunTime, spec.StopTimeout = kind, 5*time.Second, time.Second, 2*time.Second
			res := doLocal(t, context.Background(), spec, Hooks{
				Interval: 100 * time.Millisecond,
				OnTick: func(tk Tick) {
					ticks.Add(1)
					if tk.Open != nil {
						statTicks.Add(1)
					}
				},
			})
			snap, st := res.Snapshot, *res.Open
			if st.Scheduled != 100 || st.Sent != 100 || st.Dropped != 0 || hits.Load() != 100 {
				t.Fatalf("stats %+v, server saw %d; want exactly 100", st, hits.Load())
			}
			if snap.Total.Count() != 100 || snap.Total.Failures() != 0 {
				t.Fatalf("recorded %d (%d failed), want 100", snap.Total.Count(), snap.Total.Failures())
			}
			svc, ok := snap.Total.Service()
			if !ok || svc.Count() != 100 {
				t.Errorf("service series %v with %d values", ok, svc.Count())
			}
			if ticks.Load() < 3 || statTicks.Load() != ticks.Load() {
				t.Errorf("%d ticks and %d stats calls in a second at 100ms", ticks.Load(), statTicks.Load())
			}
			if snap.Users < 1 || snap.Users != st.Slots {
				t.Errorf("final user count %d, slots %d", snap.Users, st.Slots)
			}
		})
	}
}

// TestRunOpenEndsWithItsStages runs a staged rate with no run time: the
// run ends when the stages do, after exactly their requests.
func TestRunOpenEndsWithItsStages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	stages, err := schedule.ParseStages("0s:100,200ms:100,200ms:0")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	spec := openSpec([]users.Task{getTask(srv.URL)}, schedule.Rate{Stages: stages})
	spec.StopTimeout = time.Second
	res := doLocal(t, context.Background(), spec, Hooks{})
	snap, st := res.Snapshot, *res.Open
	// 20 in the steady 200 ms, 10 in the ramp down.
	if st.Sent != 30 || snap.Total.Count() != 30 {
		t.Errorf("sent %d, recorded %d; want 30", st.Sent, snap.Total.Count())
	}
	if took := time.Since(t0); took > 10*time.Second {
		t.Errorf("the run took %v after 400ms of stages", took)
	}
}

// TestRunOpenStopsWithItsContext ends an unending Poisson rate by
// cancelling, which is a normal stop.
func TestRunOpenStopsWithItsContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	spec := openSpec([]users.Task{getTask(srv.URL)}, schedule.Constant(200))
	spec.Open.Arrival, spec.Seed = schedule.ArrivalPoisson, 3
	res := doLocal(t, ctx, spec, Hooks{})
	snap, st := res.Snapshot, *res.Open
	if st.Sent < 10 || uint64(snap.Total.Count()) != st.Sent || st.Scheduled != st.Sent+st.Dropped {
		t.Errorf("stats %+v, recorded %d", st, snap.Total.Count())
	}
}

func TestOpenRunRejects(t *testing.T) {
	task := getTask("http://127.0.0.1:1/")
	tests := []struct {
		name   string
		change func(*Spec)
		want   string
	}{
		{"negative rate", func(s *Spec) { s.Open.Rate = schedule.Constant(-5) }, "must be positive"},
		{"bad client", func(s *Spec) { s.Client = "curl" }, "curl"},
		{"no tasks", func(s *Spec) { s.Workload.Tasks = nil }, "weight"},
	}
	for _, tt := range tests {
		spec := openSpec([]users.Task{task}, schedule.Constant(5))
		tt.change(spec)
		_, err := Do(context.Background(), spec, Hooks{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
	if _, err := Do(context.Background(), openSpec(nil, schedule.Constant(5)), Hooks{}); !errors.Is(err, users.ErrNoTasks) {
		t.Errorf("no tasks: %v, want ErrNoTasks", err)
	}
	// A share outside its split has no phase to send at.
	spec := openSpec([]users.Task{task}, schedule.Constant(5))
	p, err := spec.Plan()
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewOpenLoad(p, "", 0, time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Halt()
	if err := l.Assign(Share{Model: spec.Open, Index: 3, Workers: 2}); err == nil || !strings.Contains(err.Error(), "phase") {
		t.Errorf("a share with phase 1.5: %v", err)
	}
}

// TestRunOpenProfileAgainstAlbumService drives the album service with the
// 3:1 albums profile at 200 requests per second: profile tasks run in
// open-model slots as they run in users, and the mix is exact.
func TestRunOpenProfileAgainstAlbumService(t *testing.T) {
	base := startAlbums(t)
	spec := profileSpec("albums", "3:1", base)
	spec.Open = &OpenModel{Rate: schedule.Constant(200)}
	spec.Timeout, spec.RunTime, spec.Seed = 5*time.Second, time.Second, 7
	res := doLocal(t, context.Background(), spec, Hooks{})
	snap, st := res.Snapshot, *res.Open
	if snap.Total.Failures() != 0 {
		t.Fatalf("%d failures: %+v", snap.Total.Failures(), snap.Errors)
	}
	get, _ := snap.Entry(results.EntryKey{Method: "GET", Name: "/albums"})
	post, _ := snap.Entry(results.EntryKey{Method: "POST", Name: "/albums"})
	if st.Sent != 200 || get.Count() != 150 || post.Count() != 50 {
		t.Errorf("sent %d: GET %d, POST %d; want 150 and 50", st.Sent, get.Count(), post.Count())
	}
}

// TestRunOpenExcludesItsWarmup runs 100 requests per second for a second,
// the first 400 ms of it warm-up: the statistics and the dispatcher's
// counts cover the rest, and the warm-up's own statistics are handed over.
func TestRunOpenExcludesItsWarmup(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var excluded *results.Snapshot
	spec := openSpec([]users.Task{getTask(srv.URL)}, schedule.Constant(100))
	spec.RunTime, spec.Warmup = time.Second, 400*time.Millisecond
	res := doLocal(t, context.Background(), spec, Hooks{OnWarmupEnd: func(s *results.Snapshot) { excluded = s }})
	snap, st := res.Snapshot, *res.Open
	if excluded == nil {
		t.Fatal("no warm-up statistics")
	}
	// About 40 requests fall in the warm-up and 60 after it; the boundary
	// moves with the timer that ends the warm-up.
	if n := excluded.Total.Count(); n < 30 || n > 50 {
		t.Errorf("warm-up recorded %d requests, want about 40", n)
	}
	if n := snap.Total.Count() + excluded.Total.Count(); n != 100 {
		t.Errorf("warm-up and run recorded %d requests together, want 100", n)
	}
	if st.Scheduled+uint64(excluded.Total.Count()) < 95 || st.Scheduled > 70 {
		t.Errorf("counts after the warm-up %+v, with %d in the warm-up", st, excluded.Total.Count())
	}
}

// TestOpenLoadCoveredStopsAtEnd checks the point the counts reach: it
// follows the schedule while it runs, and stays where End ended it while
// the clock goes on, so that a process lost after its end is not taken
// to have sent its share up to then.
func TestOpenLoadCoveredStopsAtEnd(t *testing.T) {
	spec := openSpec([]users.Task{getTask("http://127.0.0.1:9")}, schedule.Constant(5))
	p, err := spec.Plan()
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewOpenLoad(p, "", 0, time.Now().Add(-time.Second), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Halt()
	if got := l.Covered(); got < time.Second || got > l.Elapsed() {
		t.Errorf("covered %v while the schedule runs at %v, want where it is", got, l.Elapsed())
	}
	before := l.Elapsed()
	l.End(-1)
	end := l.Covered()
	if end < before || end > l.Elapsed() {
		t.Errorf("covered %v after ending between %v and %v, want the end", end, before, l.Elapsed())
	}
	time.Sleep(300 * time.Millisecond)
	if got := l.Covered(); got != end {
		t.Errorf("covered %v 300ms after the end, want it to stay at %v", got, end)
	}
}

// TestOpenRunPreparesSlotsForItsFirstMillisecond: an open-model run
// connects one slot per request of its first millisecond before the
// schedule starts, to its target, at most 100.
func TestOpenRunPreparesSlotsForItsFirstMillisecond(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		want int
	}{
		{0, 0}, {0.5, 1}, {999, 1}, {1000, 1}, {1001, 2}, {20000, 20}, {100000, 100}, {1e6, 100}, {math.NaN(), 0},
	} {
		if got := preparedSlots(tc.rate); got != tc.want {
			t.Errorf("preparedSlots(%v) = %d, want %d", tc.rate, got, tc.want)
		}
	}
	p, err := openSpec([]users.Task{getTask("http://127.0.0.1:9/")}, schedule.Constant(20000)).Plan()
	if err != nil {
		t.Fatal(err)
	}
	cfg := p.DispatcherConfig("http://127.0.0.1:9", 0, nil)
	if cfg.Prepare != 20 || cfg.ConnectURL != "http://127.0.0.1:9" {
		t.Errorf("Prepare %d, ConnectURL %q: want 20 slots connected to the host", cfg.Prepare, cfg.ConnectURL)
	}
}

// slowConnect is a client whose connections take a while to open, as on a
// distant or busy target.
type slowConnect struct {
	client.Client
	wait time.Duration
}

func (c slowConnect) Connect(ctx context.Context, url string) error {
	time.Sleep(c.wait)
	if cn, ok := c.Client.(client.Connector); ok {
		return cn.Connect(ctx, url)
	}
	return nil
}

// slowConnectEngine runs in this process with clients that take wait to
// connect.
type slowConnectEngine struct{ wait time.Duration }

func (e slowConnectEngine) Execute(ctx context.Context, p *Plan, h Hooks) (Run, error) {
	clients := p.clients
	p.clients = func() client.Client { return slowConnect{Client: clients(), wait: e.wait} }
	return Local{}.Execute(ctx, p, h)
}

// TestOpenRunStartsOnceItsSlotsAreConnected: a run in one process starts
// its schedule, and its clock, once its first slots have connected, so
// that slow dials before the start make no request late; the run still
// lasts its run time from there.
func TestOpenRunStartsOnceItsSlotsAreConnected(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	spec := openSpec([]users.Task{getTask(srv.URL)}, schedule.Constant(50))
	spec.Host, spec.RunTime = srv.URL, 300*time.Millisecond
	r, err := Start(context.Background(), slowConnectEngine{wait: 200 * time.Millisecond}, spec, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Wait()
	if err != nil {
		t.Fatal(err)
	}
	st := *res.Open
	if st.Sent != 15 || st.Dropped != 0 {
		t.Fatalf("stats %+v, want 15 sent: 50 a second for the whole 300 ms run", st)
	}
	if st.MaxLate >= 100*time.Millisecond {
		t.Errorf("a request went %v late: the 200 ms dials before the start were counted", st.MaxLate)
	}
}
