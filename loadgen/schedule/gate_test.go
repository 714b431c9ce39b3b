package schedule

import (
	"slices"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/race"
)

// pastGate is a gate whose origin lies well in the past, so every arrival
// is due at once and the test never waits.
func pastGate(end time.Duration) *Gate { return NewGate(time.Now().Add(-time.Hour), end) }

// gateRate is the schedule the gate tests share out.
type gateRate struct {
	Rate    Rate
	Arrival Arrival
}

func shareArrivals(o *gateRate, k, n int, from time.Duration) (Arrivals, error) {
	rate, phase := o.Rate.Split(k, n)
	return NewArrivalsFrom(o.Arrival, rate, phase, 0, from)
}

func shareBuild(t *testing.T, o *gateRate, k, n int) func(time.Duration) (Arrivals, error) {
	t.Helper()
	return func(from time.Duration) (Arrivals, error) { return shareArrivals(o, k, n, from) }
}

func mustChange(t *testing.T, g *Gate, at time.Duration, build func(time.Duration) (Arrivals, error), stop bool) time.Duration {
	t.Helper()
	from, ok, err := g.Change(at, build, stop)
	if err != nil || !ok {
		t.Fatalf("change at %v: %v, %v", at, ok, err)
	}
	return from
}

func take(t *testing.T, g *Gate, n int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for len(out) < n {
		at, ok := g.Next()
		if !ok {
			break
		}
		out = append(out, at)
	}
	return out
}

func allArrivals(t *testing.T, o *gateRate, k, n int, from, until time.Duration) []time.Duration {
	t.Helper()
	a, err := shareArrivals(o, k, n, from)
	if err != nil {
		t.Fatal(err)
	}
	var out []time.Duration
	for {
		at, ok := a.Next()
		if !ok || at >= until {
			return out
		}
		out = append(out, at)
	}
}

// TestGateSwitchesShares hands a gate from one share to another at a
// point, then to a third late (after the point had passed), then stops
// it: it yields each share's arrivals from where it took over until the
// next one did, and nothing after the stop.
func TestGateSwitchesShares(t *testing.T) {
	o := &gateRate{Rate: Rate{Start: 100, Stages: []Stage{{Duration: 2 * time.Second, Target: 100}}}}
	g := pastGate(2 * time.Second)
	mustChange(t, g, 0, shareBuild(t, o, 0, 1), false)
	got := take(t, g, 10)
	// The second share takes over ahead of where the gate is.
	x := 150*time.Millisecond + 5
	if from := mustChange(t, g, x, shareBuild(t, o, 1, 2), false); from != x {
		t.Fatalf("change at %v took over at %v", x, from)
	}
	got = append(got, take(t, g, 30)...)
	// The third comes late: it takes over just after the last arrival out.
	last := got[len(got)-1]
	if from := mustChange(t, g, 100*time.Millisecond, shareBuild(t, o, 0, 3), false); from != last+1 {
		t.Fatalf("late change took over at %v, want just after the last arrival %v", from, last)
	}
	got = append(got, take(t, g, 10)...)
	last = got[len(got)-1]
	stop := last + 100*time.Millisecond
	mustChange(t, g, stop, nil, true)
	got = append(got, take(t, g, 1000)...)

	want := allArrivals(t, o, 0, 1, 0, x)
	second := allArrivals(t, o, 1, 2, x, 1<<62)
	want = append(want, second[:30-(len(want)-10)]...)
	third := allArrivals(t, o, 0, 3, want[len(want)-1]+1, stop)
	want = append(want, third...)
	if !slices.Equal(got, want) {
		t.Fatalf("arrivals\n%v\nwant\n%v", got, want)
	}
	if _, ok, _ := g.Change(stop+time.Second, shareBuild(t, o, 0, 1), false); ok {
		t.Error("a stopped gate took another share")
	}
}

// TestGateWaitsWhileCutOff checks that a stage without arrivals holds the
// runner until the next share, and that close releases it.
func TestGateWaitsWhileCutOff(t *testing.T) {
	o := &gateRate{Rate: Constant(50)}
	g := pastGate(0)
	mustChange(t, g, 0, shareBuild(t, o, 0, 1), false)
	first := take(t, g, 3)
	mustChange(t, g, first[2]+1, nil, false)
	next := make(chan time.Duration, 1)
	go func() {
		at, ok := g.Next()
		if !ok {
			at = -1
		}
		next <- at
	}()
	select {
	case at := <-next:
		t.Fatalf("a cut-off gate yielded %v", at)
	case <-time.After(50 * time.Millisecond):
	}
	// A share from a point ahead: the runner gets its first arrival there.
	resume := first[2] + time.Second
	mustChange(t, g, resume, shareBuild(t, o, 0, 1), false)
	select {
	case at := <-next:
		if at != resume {
			t.Errorf("after the pause the first arrival is %v, want %v", at, resume)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the gate did not resume")
	}
	take(t, g, 2)
	mustChange(t, g, g.Last()+1, nil, false)
	go func() {
		at, ok := g.Next()
		if ok {
			next <- at
			return
		}
		next <- -1
	}()
	time.Sleep(10 * time.Millisecond)
	g.Close()
	select {
	case at := <-next:
		if at != -1 {
			t.Errorf("a closed gate yielded %v", at)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("close did not release the runner")
	}
}

// TestGateEndsWithTheSchedule checks that a bounded schedule's end ends
// the gate.
func TestGateEndsWithTheSchedule(t *testing.T) {
	o := &gateRate{Rate: Rate{Start: 10, Stages: []Stage{{Duration: time.Second, Target: 10}}}}
	g := pastGate(time.Second)
	mustChange(t, g, 0, shareBuild(t, o, 1, 2), false)
	if got := take(t, g, 100); len(got) != 5 {
		t.Errorf("%d arrivals of half of 10 a second for a second, want 5", len(got))
	}
}

// TestGateNextAllocatesNothing pins the gate's hand-out, which every
// open-model request goes through, at zero allocations: arrivals 3 ms
// apart make each call wait on the gate's timer.
func TestGateNextAllocatesNothing(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are meaningless under the race detector; make test runs this without -race")
	}
	o := &gateRate{Rate: Constant(1000.0 / 3)}
	g := NewGate(time.Now(), 0)
	mustChange(t, g, 0, shareBuild(t, o, 0, 1), false)
	if n := testing.AllocsPerRun(50, func() {
		if _, ok := g.Next(); !ok {
			t.Fatal("the gate ended")
		}
	}); n != 0 {
		t.Errorf("%v allocations per arrival, want 0", n)
	}
}

// TestGateHandsOutJustBeforeTheTime checks the lead: an arrival comes
// out no sooner than GateLead before its time, so that the generator's
// precise wait covers the rest.
func TestGateHandsOutJustBeforeTheTime(t *testing.T) {
	o := &gateRate{Rate: Constant(200)}
	origin := time.Now()
	g := NewGate(origin, 0)
	mustChange(t, g, 0, shareBuild(t, o, 0, 1), false)
	for range 10 {
		at, ok := g.Next()
		if !ok {
			t.Fatal("the gate ended")
		}
		if got := time.Since(origin); got < at-GateLead {
			t.Errorf("arrival at %v handed out at %v, more than %v early", at, got, GateLead)
		}
	}
}
