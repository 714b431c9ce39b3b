package control

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
)

// arrivalTarget is a loopback server that notes when each request came
// and from which worker's block of user IDs.
type arrivalTarget struct {
	srv *httptest.Server
	mu  sync.Mutex
	at  map[int][]time.Time // worker slot -> arrival times
	n   int
}

func newArrivalTarget(t *testing.T) *arrivalTarget {
	t.Helper()
	tg := &arrivalTarget{at: make(map[int][]time.Time)}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		id, err := strconv.Atoi(strings.Split(strings.TrimPrefix(r.URL.Path, "/u/"), "/")[0])
		if err != nil {
			http.Error(w, "bad path", http.StatusBadRequest)
			return
		}
		tg.mu.Lock()
		if tg.n < 100_000 {
			tg.at[id/UserIDBlock] = append(tg.at[id/UserIDBlock], now)
		}
		tg.n++
		tg.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

func (tg *arrivalTarget) count() int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.n
}

func (tg *arrivalTarget) bySlot() map[int][]time.Time {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	out := make(map[int][]time.Time, len(tg.at))
	for k, v := range tg.at {
		out[k] = slices.Clone(v)
	}
	return out
}

func openSpec(host string, rate float64) loadgen.Spec {
	spec := testSpec(host)
	spec.Wait = profiles.Wait{}
	spec.StopTimeout = 3 * time.Second
	spec.Open = &loadgen.OpenModel{Rate: schedule.Constant(rate)}
	return spec
}

// TestOpenFleetSplitsTheRate runs an open-model schedule of 100 requests
// a second for 2 s on two workers: together they send exactly the 200
// requests of one generator's schedule, 100 each, with the second
// worker's requests halfway between the first's.
func TestOpenFleetSplitsTheRate(t *testing.T) {
	tg := newArrivalTarget(t)
	cfg := fastConfig(t, openSpec(tg.srv.URL, 100))
	cfg.RunTime = 2 * time.Second
	cfg.ExpectWorkers = 2
	c, srv := startCoordinator(t, cfg)
	startWorker(t, srv.URL, WorkerConfig{ID: "a"})
	startWorker(t, srv.URL, WorkerConfig{ID: "b"})
	out := <-runCoordinator(context.Background(), c)
	if out.err != nil {
		t.Fatal(out.err)
	}
	res := out.res
	if res.Open == nil {
		t.Fatal("no open-model counts in the result")
	}
	if res.Open.Scheduled != 200 || res.Open.Sent != 200 || res.Open.Dropped != 0 {
		t.Errorf("fleet counts %+v, want 200 scheduled and sent, none dropped", *res.Open)
	}
	if got := res.Snapshot.Total.Count(); got != 200 || tg.count() != 200 {
		t.Errorf("%d requests recorded, %d served; want 200 of each", got, tg.count())
	}
	for _, ws := range res.Workers {
		if ws.Requests != 100 || ws.Open == nil || ws.Open.Scheduled != 100 {
			t.Errorf("worker %s: %d requests, counts %+v; want 100", ws.ID, ws.Requests, ws.Open)
		}
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings %q, want none", res.Warnings)
	}
	// Each worker sends every 20 ms, the second 10 ms after the first:
	// the mean phase of its arrivals in the 20 ms cycle is half a cycle
	// from the first's, where unshifted schedules would make it none.
	// (The distance from each request to the other worker's nearest,
	// tried before, shrinks with every millisecond of jitter a busy
	// machine adds, whichever way it goes; the phases move together.)
	slots := tg.bySlot()
	first, second := slots[0], slots[1]
	if len(first) != 100 || len(second) != 100 {
		t.Fatalf("%d and %d requests from the two workers, want 100 each", len(first), len(second))
	}
	const cycle = 20 * time.Millisecond
	origin := first[0]
	d := (meanPhase(second, origin, cycle) - meanPhase(first, origin, cycle) + cycle) % cycle
	if d < 5*time.Millisecond || d > 15*time.Millisecond {
		t.Errorf("the second worker's requests are %v into the first's 20 ms cycle, want about 10 ms", d)
	}
}

// meanPhase is the circular mean of where the times fall in a cycle that
// starts at origin, from 0 to cycle.
func meanPhase(times []time.Time, origin time.Time, cycle time.Duration) time.Duration {
	var sin, cos float64
	for _, at := range times {
		a := 2 * math.Pi * float64(at.Sub(origin)%cycle) / float64(cycle)
		sin, cos = sin+math.Sin(a), cos+math.Cos(a)
	}
	a := math.Atan2(sin, cos)
	if a < 0 {
		a += 2 * math.Pi
	}
	return time.Duration(a / (2 * math.Pi) * float64(cycle))
}

// TestOpenFleetPoissonIsReproducible runs the same Poisson schedule twice
// on two workers: both runs schedule exactly the requests that the shares'
// seeds draw, so the run is reproducible from its seed.
func TestOpenFleetPoissonIsReproducible(t *testing.T) {
	tg := newArrivalTarget(t)
	spec := openSpec(tg.srv.URL, 150)
	spec.Open.Arrival = schedule.ArrivalPoisson
	runTime := 1200 * time.Millisecond
	// What the shares of the first split draw, from the run's seed.
	cut := *spec.Open
	cut.Rate = cut.Rate.Until(runTime)
	want := 0
	var seqs [2][]time.Duration
	for k := range 2 {
		share := wire.OpenShare{Index: k, Workers: 2, Seed: schedule.ShareSeed(spec.Seed, k, 0)}
		a, err := shareArrivals(share, &cut, 0)
		if err != nil {
			t.Fatal(err)
		}
		for {
			at, ok := a.Next()
			if !ok {
				break
			}
			seqs[k] = append(seqs[k], at)
		}
		want += len(seqs[k])
	}
	if slices.Equal(seqs[0], seqs[1]) {
		t.Fatal("the two shares draw the same arrivals")
	}
	for run := range 2 {
		cfg := fastConfig(t, spec)
		cfg.RunTime = runTime
		cfg.ExpectWorkers = 2
		c, srv := startCoordinator(t, cfg)
		startWorker(t, srv.URL, WorkerConfig{ID: "a" + strconv.Itoa(run)})
		startWorker(t, srv.URL, WorkerConfig{ID: "b" + strconv.Itoa(run)})
		out := <-runCoordinator(context.Background(), c)
		if out.err != nil {
			t.Fatal(out.err)
		}
		if st := out.res.Open; st == nil || st.Scheduled != uint64(want) || st.Sent != uint64(want) {
			t.Errorf("run %d: counts %+v, want the %d requests the seeds draw", run, st, want)
		}
		if got := out.res.Snapshot.Total.Count(); got != int64(want) {
			t.Errorf("run %d: %d requests recorded, want %d", run, got, want)
		}
	}
}

// TestOpenFleetWorkerJoins starts an open-model run on one worker and
// adds a second mid-run: the rate is split again from a point just ahead,
// and together they still send exactly the one-generator schedule.
func TestOpenFleetWorkerJoins(t *testing.T) {
	tg := newArrivalTarget(t)
	cfg := fastConfig(t, openSpec(tg.srv.URL, 100))
	cfg.RunTime = 2 * time.Second
	c, srv := startCoordinator(t, cfg)
	startWorker(t, srv.URL, WorkerConfig{ID: "early"})
	runDone := runCoordinator(context.Background(), c)
	waitFor(t, 10*time.Second, "requests from the first worker", func() bool { return tg.count() >= 60 })
	startWorker(t, srv.URL, WorkerConfig{ID: "late"})
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	res := out.res
	if res.Open == nil || res.Open.Scheduled != 200 || res.Open.Sent != 200 {
		t.Errorf("fleet counts %+v, want 200 scheduled and sent", res.Open)
	}
	if tg.count() != 200 {
		t.Errorf("the target served %d requests, want 200", tg.count())
	}
	late := byID(res.Workers, "late")
	early := byID(res.Workers, "early")
	if late.Requests < 20 || early.Requests <= late.Requests {
		t.Errorf("early worker sent %d, late one %d: want the late one to have a share of the rest", early.Requests, late.Requests)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings %q, want none", res.Warnings)
	}
}

// TestOpenFleetWorkerLost cuts one of two workers off mid-run. It stops
// sending within three heartbeats, the coordinator marks it missing and
// gives its share to the other worker, and the result records how much of
// its share went unsent: what the target got plus that estimate is the
// schedule, and no request was sent twice.
func TestOpenFleetWorkerLost(t *testing.T) {
	tg := newArrivalTarget(t)
	const rate, secs = 200, 3
	cfg := fastConfig(t, openSpec(tg.srv.URL, rate))
	cfg.RunTime = secs * time.Second
	cfg.ExpectWorkers = 2
	// Slow enough that a busy machine does not lose the other worker too.
	cfg.Heartbeat = 200 * time.Millisecond
	cfg.MissedHeartbeats = 3
	c, direct := startCoordinator(t, cfg)
	linkURL, down := cuttableLink(t, c)
	startWorker(t, direct.URL, WorkerConfig{ID: "near"})
	startWorker(t, linkURL, WorkerConfig{ID: "far", ConnectTimeout: time.Minute})
	runDone := runCoordinator(context.Background(), c)
	waitFor(t, 10*time.Second, "requests from both workers", func() bool {
		s := tg.bySlot()
		return len(s[0]) > 50 && len(s[1]) > 50
	})
	down.Store(true)
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	res := out.res
	served := tg.count()
	want := rate * secs
	if served > want {
		t.Errorf("the target got %d requests, more than the schedule's %d: some were sent twice", served, want)
	}
	if res.OpenUnsent <= 0 || served+int(res.OpenUnsent) < want-2 {
		t.Errorf("served %d, estimated unsent %d: want them to account for the schedule's %d", served, res.OpenUnsent, want)
	}
	// The far worker went on for up to three heartbeat intervals after its
	// last heartbeat, so the estimate is at most that much too high.
	if over := served + int(res.OpenUnsent) - want; over > rate/2*7/10+2 {
		t.Errorf("served %d plus estimated unsent %d is %d over the schedule", served, res.OpenUnsent, over)
	}
	near, far := byID(res.Workers, "near"), byID(res.Workers, "far")
	if far.State != string(wire.StateMissing) || far.Open == nil || far.Open.Scheduled == 0 {
		t.Errorf("far worker's row %+v: want missing, with the counts it reported", far)
	}
	if near.Open == nil || near.Open.Scheduled <= uint64(want/2)+50 {
		t.Errorf("near worker's counts %+v: want it to have taken over the far one's share", near.Open)
	}
	found := false
	for _, w := range res.Warnings {
		if strings.Contains(w, "far") && strings.Contains(w, "missed 3 heartbeats") && strings.Contains(w, "went to the other workers") {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings %q, want one recording the lost worker and its share", res.Warnings)
	}
}

// TestOpenFleetWarmup leaves the first half second of a 1.5 s schedule
// out of the statistics and of the dispatcher counts.
func TestOpenFleetWarmup(t *testing.T) {
	tg := newArrivalTarget(t)
	cfg := fastConfig(t, openSpec(tg.srv.URL, 100))
	cfg.RunTime = 1500 * time.Millisecond
	cfg.Warmup = 500 * time.Millisecond
	cfg.ExpectWorkers = 2
	var excluded int64
	cfg.OnWarmupEnd = func(s *results.Snapshot) { excluded = s.Total.Count() }
	c, srv := startCoordinator(t, cfg)
	startWorker(t, srv.URL, WorkerConfig{ID: "a"})
	startWorker(t, srv.URL, WorkerConfig{ID: "b"})
	out := <-runCoordinator(context.Background(), c)
	if out.err != nil {
		t.Fatal(out.err)
	}
	// The cut is exact to within a report or heartbeat (100 ms, 10
	// requests), and more when the machine is busy.
	st := out.res.Open
	if st == nil || st.Scheduled < 75 || st.Scheduled > 125 || st.Dropped != 0 {
		t.Errorf("counts after the warm-up %+v, want about 100 scheduled, none dropped", st)
	}
	if got := out.res.Snapshot.Total.Count(); got < 75 || got > 125 || got+excluded != 150 {
		t.Errorf("%d requests counted and %d excluded, want about 100 and 150 in all", got, excluded)
	}
}

// TestOpenFleetWorkerLeaves interrupts one of two workers mid-run: it says
// it leaves, its share goes to the other at once (a lead ahead), and the
// requests of its share in between are recorded as unsent.
func TestOpenFleetWorkerLeaves(t *testing.T) {
	tg := newArrivalTarget(t)
	const rate, secs = 200, 2
	cfg := fastConfig(t, openSpec(tg.srv.URL, rate))
	cfg.RunTime = secs * time.Second
	cfg.ExpectWorkers = 2
	c, srv := startCoordinator(t, cfg)
	startWorker(t, srv.URL, WorkerConfig{ID: "stays"})
	leaving := startWorker(t, srv.URL, WorkerConfig{ID: "leaves"})
	runDone := runCoordinator(context.Background(), c)
	waitFor(t, 10*time.Second, "requests from both workers", func() bool {
		s := tg.bySlot()
		return len(s[0]) > 30 && len(s[1]) > 30
	})
	leaving.stop(t)
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	served, want := tg.count(), rate*secs
	unsent := int(out.res.OpenUnsent)
	// The leaving worker stopped its share when it left, and the other took
	// it over OpenLead later: about 25 requests at 100 a second.
	if served > want || unsent <= 0 || served+unsent < want-2 || served+unsent > want+10 {
		t.Errorf("served %d, estimated unsent %d: want them to account for the schedule's %d", served, unsent, want)
	}
	if got := out.res.Snapshot.Total.Count(); got != int64(served) {
		t.Errorf("%d requests recorded, %d served", got, served)
	}
	if w := byID(out.res.Workers, "leaves"); w.State != string(wire.StateLeft) || w.Open == nil || w.Open.Sent != uint64(w.Requests) {
		t.Errorf("leaving worker's row %+v: want left, with final counts matching its requests", w)
	}
}

// TestOpenFleetInterrupted ends an open-model run early: the schedule ends
// where it was, and the counts agree with what was sent.
func TestOpenFleetInterrupted(t *testing.T) {
	tg := newArrivalTarget(t)
	cfg := fastConfig(t, openSpec(tg.srv.URL, 100))
	cfg.ExpectWorkers = 2
	c, srv := startCoordinator(t, cfg)
	startWorker(t, srv.URL, WorkerConfig{ID: "a"})
	startWorker(t, srv.URL, WorkerConfig{ID: "b"})
	ctx, cancel := context.WithCancel(context.Background())
	runDone := runCoordinator(ctx, c)
	waitFor(t, 10*time.Second, "50 requests", func() bool { return tg.count() >= 50 })
	cancel()
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	st := out.res.Open
	if st == nil || st.Scheduled != st.Sent || st.Sent != uint64(tg.count()) || st.Sent < 50 || st.Sent > 100 {
		t.Errorf("counts %+v, target %d: want every scheduled request sent and served, stopping soon after 50", st, tg.count())
	}
	if len(out.res.Warnings) != 0 {
		t.Errorf("warnings %q, want none", out.res.Warnings)
	}
}

// TestOpenFleetWorkerRejoins cuts one of two workers off and lets it back:
// it stops sending while cut off, the other takes its share, and when it
// has registered again the two share the rate once more, with no request
// sent twice.
func TestOpenFleetWorkerRejoins(t *testing.T) {
	tg := newArrivalTarget(t)
	const rate, secs = 200, 4
	cfg := fastConfig(t, openSpec(tg.srv.URL, rate))
	cfg.RunTime = secs * time.Second
	cfg.ExpectWorkers = 2
	cfg.Heartbeat = 200 * time.Millisecond
	cfg.MissedHeartbeats = 3
	c, direct := startCoordinator(t, cfg)
	linkURL, down := cuttableLink(t, c)
	startWorker(t, direct.URL, WorkerConfig{ID: "near"})
	startWorker(t, linkURL, WorkerConfig{ID: "far", ConnectTimeout: time.Minute})
	runDone := runCoordinator(context.Background(), c)
	waitFor(t, 10*time.Second, "requests from both workers", func() bool {
		s := tg.bySlot()
		return len(s[0]) > 30 && len(s[1]) > 30
	})
	res := cutAndRestore(t, c, down, "far", runDone)
	served, want := tg.count(), rate*secs
	if served > want || res.OpenUnsent <= 0 || served+int(res.OpenUnsent) < want-2 {
		t.Errorf("served %d, estimated unsent %d: want no more than the schedule's %d, and the two to account for it", served, res.OpenUnsent, want)
	}
	if got := res.Snapshot.Total.Count(); got != int64(served) {
		t.Errorf("%d requests recorded, %d served", got, served)
	}
	far := byID(res.Workers, "far")
	if far.State == string(wire.StateMissing) || far.Open == nil || far.Open.Sent != uint64(far.Requests) {
		t.Errorf("far worker's row %+v: want it back, its counts matching its requests", far)
	}
	if res.Open == nil || res.Open.Sent != uint64(served) {
		t.Errorf("fleet counts %+v, want the %d requests served", res.Open, served)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "far") || !strings.Contains(res.Warnings[0], "registered again") {
		t.Errorf("warnings %q, want one recording the loss and the return", res.Warnings)
	}
}

// TestOpenLoneWorkerRejoins cuts the only worker of an open-model run off
// and lets it back: what its share left unsent is counted up to its
// return, not to the end of the schedule, and the warning says so.
func TestOpenLoneWorkerRejoins(t *testing.T) {
	tg := newArrivalTarget(t)
	const rate, secs = 100, 4
	cfg := fastConfig(t, openSpec(tg.srv.URL, rate))
	cfg.RunTime = secs * time.Second
	cfg.Heartbeat = 200 * time.Millisecond
	cfg.MissedHeartbeats = 3
	c, _ := startCoordinator(t, cfg)
	linkURL, down := cuttableLink(t, c)
	startWorker(t, linkURL, WorkerConfig{ID: "lone", ConnectTimeout: time.Minute})
	runDone := runCoordinator(context.Background(), c)
	waitFor(t, 10*time.Second, "requests", func() bool { return tg.count() > 30 })
	res := cutAndRestore(t, c, down, "lone", runDone)
	served, want := tg.count(), rate*secs
	if served > want || res.OpenUnsent <= 0 || served+int(res.OpenUnsent) < want-2 {
		t.Errorf("served %d, estimated unsent %d: want no more than the schedule's %d, and the two to account for it", served, res.OpenUnsent, want)
	}
	// The worker went on for up to three heartbeats and their slack
	// (0.7 s, 70 requests) after its last one, which the estimate counts
	// too; counted to the end of the schedule instead, it would be some
	// 200 more.
	if over := served + int(res.OpenUnsent) - want; over > rate {
		t.Errorf("served %d plus estimated unsent %d is %d over the schedule", served, res.OpenUnsent, over)
	}
	w := res.Warnings
	if len(w) != 1 || strings.Contains(w[0], "is left") || !strings.Contains(w[0], "until worker lone registered") {
		t.Errorf("warnings %q, want one saying the share was without a worker until it registered again", w)
	}
}

// cutAndRestore cuts worker id's link (down) until the coordinator marks
// it missing, restores it until the worker runs again, and returns the
// run's result.
func cutAndRestore(t *testing.T, c *Coordinator, down *atomic.Bool, id string, runDone <-chan runOutcome) *Result {
	t.Helper()
	down.Store(true)
	waitFor(t, 10*time.Second, id+" to be marked missing", func() bool {
		return byID(c.Workers(), id).State == string(wire.StateMissing)
	})
	down.Store(false)
	waitFor(t, 10*time.Second, id+" to rejoin", func() bool {
		return byID(c.Workers(), id).State == string(wire.StateRunning)
	})
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	return out.res
}
