package control

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/schedule"
)

// TestNewCoordinatorChecksOpenSpec checks that a coordinator refuses an
// unusable open-model spec and cuts the rate at the run time.
func TestNewCoordinatorChecksOpenSpec(t *testing.T) {
	spec := testSpec("http://127.0.0.1:9")
	spec.Open = &loadgen.OpenModel{Rate: schedule.Constant(0)}
	if _, err := NewCoordinator(CoordinatorConfig{Spec: spec}); err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("zero rate: %v, want an error", err)
	}
	spec.Open = &loadgen.OpenModel{Rate: schedule.Constant(50), MaxLag: 2 * time.Second}
	c, err := NewCoordinator(CoordinatorConfig{Spec: spec, RunTime: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.cfg.Spec.Open.Rate; !got.Bounded() || got.Duration() != 4*time.Second || got.At(3*time.Second) != 50 {
		t.Errorf("rate sent to workers %+v, want 50/s for the run's 4 s", got)
	}
	if spec.Open.Rate.Bounded() {
		t.Error("the caller's spec was changed")
	}
	// Final reports wait for the lag bound and the open model's default
	// grace for requests in flight.
	if want := 2*time.Second + 10*time.Second + 5*time.Second; c.cfg.FinalWait != want {
		t.Errorf("final wait %v, want %v", c.cfg.FinalWait, want)
	}
}

// TestHeartbeatOpenCounts checks that a heartbeat's counts reach the worker
// table and the fleet's totals, and that bad ones are refused.
func TestHeartbeatOpenCounts(t *testing.T) {
	spec := testSpec("http://127.0.0.1:9")
	spec.Open = &loadgen.OpenModel{Rate: schedule.Constant(50)}
	cfg := fastConfig(t, spec)
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	wc.register("w1")
	wc.register("w2")
	beat := func(id string, oc *wire.OpenCounts) int {
		st, _ := wc.do(http.MethodPost, wire.PathHeartbeat, wire.HeartbeatRequest{V: 1, ID: id, State: wire.StateRunning, Open: oc})
		return st
	}
	if st := beat("w1", &wire.OpenCounts{Scheduled: 10, Sent: 9, Dropped: 1, MaxLateNS: int64(time.Millisecond), Slots: 3, MaxInFlight: 100, MaxLagNS: int64(time.Second), LateAfterNS: int64(10 * time.Millisecond)}); st != http.StatusNoContent {
		t.Fatalf("heartbeat: HTTP %d", st)
	}
	if st := beat("w2", &wire.OpenCounts{Scheduled: 5, Sent: 5, MaxLateNS: int64(3 * time.Millisecond), Slots: 2, MaxInFlight: 100, MaxLagNS: int64(time.Second), LateAfterNS: int64(10 * time.Millisecond)}); st != http.StatusNoContent {
		t.Fatalf("heartbeat: HTTP %d", st)
	}
	st, ok := c.OpenStats()
	if !ok || st.Scheduled != 15 || st.Sent != 14 || st.Dropped != 1 || st.Slots != 5 || st.MaxInFlight != 200 || st.MaxLate != 3*time.Millisecond || st.MaxLag != time.Second {
		t.Errorf("fleet counts %+v, want the two heartbeats' sum", st)
	}
	if w := byID(c.Workers(), "w1"); w.Open == nil || w.Open.Scheduled != 10 {
		t.Errorf("worker row %+v, want its counts", w)
	}
	// Counts that go down come from a new process under the same id: the
	// old process's counts are kept.
	if st := beat("w1", &wire.OpenCounts{Scheduled: 4, Sent: 4, Slots: 1, MaxInFlight: 100, MaxLagNS: int64(time.Second), LateAfterNS: int64(10 * time.Millisecond)}); st != http.StatusNoContent {
		t.Fatalf("heartbeat: HTTP %d", st)
	}
	if st, _ := c.OpenStats(); st.Scheduled != 19 || st.Sent != 18 || st.Slots != 5 || st.MaxInFlight != 200 {
		t.Errorf("fleet counts after a restart %+v, want both processes' requests and the current caps", st)
	}
	for name, oc := range map[string]*wire.OpenCounts{
		"negative max late": {MaxLateNS: -1},
		"negative slots":    {Slots: -1},
		"huge cap":          {MaxInFlight: loadgen.MaxInFlightLimit + 1},
		"negative through":  {ThroughNS: -1},
	} {
		if st := beat("w1", oc); st != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", name, st)
		}
	}
	if st, _ := c.OpenStats(); st.Scheduled != 19 {
		t.Errorf("refused heartbeats changed the counts to %+v", st)
	}
}

// TestOpenRunByHand plays a worker by hand through an open-model run: its
// spawn carries its share and the shared start, its stop the point where
// the schedule ended, and a worker that never reports counts (one that
// cannot run open-model schedules) is named in the warnings, with the
// requests the fleet never scheduled.
func TestOpenRunByHand(t *testing.T) {
	spec := testSpec("http://127.0.0.1:9")
	spec.Open = &loadgen.OpenModel{Rate: schedule.Constant(50)}
	cfg := fastConfig(t, spec)
	cfg.RunTime = 600 * time.Millisecond
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	wc.register("old")
	before := time.Now()
	runDone := runCoordinator(context.Background(), c)
	cmd, _ := wc.poll("old", 0)
	if cmd == nil || cmd.Kind != wire.CommandSpawn || cmd.Open == nil || cmd.Users != 0 {
		t.Fatalf("first command %+v, want an open-model spawn", cmd)
	}
	if sh := cmd.Open; sh.Index != 0 || sh.Workers != 1 || sh.At != 0 || sh.Seed != spec.Seed ||
		sh.Start.Before(before.Add(OpenLead)) || sh.Start.After(time.Now().Add(OpenLead)) {
		t.Errorf("share %+v, want all of the rate from a start %v ahead", sh, OpenLead)
	}
	if cmd.Spec.Open == nil || cmd.Spec.Open.Rate.Duration() != cfg.RunTime {
		t.Errorf("spec's rate %+v, want it cut at the run time", cmd.Spec.Open)
	}
	after := cmd.Seq
	for {
		wc.heartbeat("old", wire.StateRunning, 0)
		next, _ := wc.poll("old", after)
		if next == nil {
			continue
		}
		if next.Kind != wire.CommandStop || next.Open == nil || next.Open.At != cfg.RunTime {
			t.Fatalf("command %+v, want stop at the end of the schedule", next)
		}
		break
	}
	wc.finish("old", c.RunID(), 1)
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if out.res.Open == nil || out.res.Open.Scheduled != 0 {
		t.Errorf("fleet counts %+v, want none", out.res.Open)
	}
	joined := strings.Join(out.res.Warnings, "\n")
	if !strings.Contains(joined, "old") || !strings.Contains(joined, "never reported open-model counts") ||
		!strings.Contains(joined, "scheduled 0 of the 30 requests") {
		t.Errorf("warnings %q, want the silent worker named and the 30 requests it did not schedule", out.res.Warnings)
	}
}

// TestOpenLossCountsFromThrough has a worker leave well after its
// schedule ended, as a leaving worker does once it has waited out the
// grace and sent its final report: its share went unsent from the point
// its counts reach, not from its last heartbeat's arrival.
func TestOpenLossCountsFromThrough(t *testing.T) {
	spec := testSpec("http://127.0.0.1:9")
	spec.Open = &loadgen.OpenModel{Rate: schedule.Constant(100)}
	cfg := fastConfig(t, spec)
	cfg.RunTime = 10 * time.Second
	cfg.ExpectWorkers = 2
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	wc.register("stays")
	wc.register("leaves")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)
	cmd, _ := wc.poll("leaves", 0)
	if cmd == nil || cmd.Open == nil {
		t.Fatalf("first command %+v, want an open-model spawn", cmd)
	}
	counts := &wire.OpenCounts{Scheduled: 5, Sent: 5, MaxInFlight: 100, ThroughNS: int64(100 * time.Millisecond)}
	// The schedule is well past the end of the counts when the worker says
	// it left.
	time.Sleep(time.Until(cmd.Open.Start.Add(600 * time.Millisecond)))
	for _, state := range []wire.WorkerState{wire.StateStopped, wire.StateQuit} {
		st, _ := wc.do(http.MethodPost, wire.PathHeartbeat, wire.HeartbeatRequest{V: 1, ID: "leaves", State: state, Open: counts})
		if st != http.StatusNoContent {
			t.Fatalf("%s heartbeat: HTTP %d", state, st)
		}
	}
	joined := strings.Join(c.Warnings(), "\n")
	if !strings.Contains(joined, "leaves") || !strings.Contains(joined, "(100ms into the schedule)") {
		t.Errorf("warnings %q, want the leaving worker's share unsent from 100ms into the schedule, where its counts end", c.Warnings())
	}
	cancel()
	wc.finish("stays", c.RunID(), 1)
	if out := <-runDone; out.err != nil {
		t.Fatal(out.err)
	}
}
