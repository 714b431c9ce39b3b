package control

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/schedule"
)

func TestOpenSpecJSON(t *testing.T) {
	s := testSpec("http://127.0.0.1:8080")
	s.Open = &OpenSpec{
		Rate:    schedule.Rate{Start: 12.5, Stages: []schedule.Stage{{Duration: 30 * time.Second, Target: 100}, {Duration: 1500 * time.Microsecond, Target: 0}}},
		Arrival: schedule.ArrivalPoisson, MaxInFlight: 64, MaxLag: -1, LateAfter: 2500 * time.Microsecond,
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"open":{`, `"rate":12.5`, `"stages":"30s:100,1.5ms:0"`, `"arrival":"poisson"`, `"max_inflight":64`, `"max_lag_ns":-1`, `"late_after_ns":2500000`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("wire form %s lacks %s", b, want)
		}
	}
	var back RunSpec
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip: %+v, %v; want %+v", back, err, s)
	}
	// A run with users sends no open part at all, so its spawn commands
	// are what they always were.
	closed, err := json.Marshal(testSpec("http://127.0.0.1:8080"))
	if err != nil || strings.Contains(string(closed), "open") {
		t.Errorf("closed-model spec %s, %v: want no open part", closed, err)
	}
	for name, body := range map[string]string{
		"unknown field": `"open":{"rate":1,"arrival":"constant","burst":2}`,
		"bad stages":    `"open":{"rate":1,"stages":"30s","arrival":"constant"}`,
		"bad arrival":   `"open":{"rate":1,"arrival":"gaussian"}`,
	} {
		raw := `{"profile":{"builtin":"albums"},"client":"nethttp","host":"http://h","seed":"1",` + body + `}`
		if err := json.Unmarshal([]byte(raw), &back); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestOpenCommandValidation checks what a worker refuses in the open-model
// parts of commands.
func TestOpenCommandValidation(t *testing.T) {
	spec := testSpec("http://127.0.0.1:8080")
	open := spec
	open.Open = &OpenSpec{Rate: schedule.Constant(10)}
	start := time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)
	share := func(f func(*OpenShare)) *OpenShare {
		s := &OpenShare{Start: start, Index: 1, Workers: 2}
		f(s)
		return s
	}
	withOpen := func(f func(*OpenSpec)) *RunSpec {
		s := open
		o := *open.Open
		f(&o)
		s.Open = &o
		return &s
	}
	spawn := func(s *RunSpec, sh *OpenShare) Command {
		return Command{V: 1, Seq: 1, Kind: CommandSpawn, Run: "r", Spec: s, Open: sh}
	}
	ok := share(func(*OpenShare) {})
	tests := []struct {
		name string
		cmd  Command
		want string // "" for valid
	}{
		{"valid", spawn(&open, ok), ""},
		{"valid stop", Command{V: 1, Seq: 1, Kind: CommandStop, Run: "r", Open: &OpenShare{At: time.Second}}, ""},
		{"no share", spawn(&open, nil), "without its share"},
		{"share in a closed run", spawn(&spec, ok), "run with users"},
		{"no start", spawn(&open, share(func(s *OpenShare) { s.Start = time.Time{} })), "without a start"},
		{"negative at", spawn(&open, share(func(s *OpenShare) { s.At = -1 })), "negative"},
		{"no workers", spawn(&open, share(func(s *OpenShare) { s.Workers = 0 })), "out of range"},
		{"index too high", spawn(&open, share(func(s *OpenShare) { s.Index = 2 })), "not below"},
		{"negative index", spawn(&open, share(func(s *OpenShare) { s.Index = -1 })), "not below"},
		{"zero rate", spawn(withOpen(func(o *OpenSpec) { o.Rate = schedule.Constant(0) }), ok), "must be positive"},
		{"negative stage", spawn(withOpen(func(o *OpenSpec) { o.Rate.Stages = []schedule.Stage{{Duration: time.Second, Target: -1}} }), ok), "negative"},
		{"huge cap", spawn(withOpen(func(o *OpenSpec) { o.MaxInFlight = maxOpenInFlight + 1 }), ok), "max_inflight"},
		{"negative late_after", spawn(withOpen(func(o *OpenSpec) { o.LateAfter = -1 }), ok), "late_after"},
		{"negative stop", Command{V: 1, Seq: 1, Kind: CommandStop, Run: "r", Open: &OpenShare{At: -time.Second}}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cmd.validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestOpenShareStartIsUTC checks that a start sent with an offset reads
// as the same instant, in UTC.
func TestOpenShareStartIsUTC(t *testing.T) {
	var s OpenShare
	if err := json.Unmarshal([]byte(`{"start":"2025-01-02T11:00:00.5+01:00","workers":1,"seed":"7"}`), &s); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 1, 2, 10, 0, 0, 5e8, time.UTC)
	if !s.Start.Equal(want) || s.Start.Location() != time.UTC || s.Seed != 7 {
		t.Errorf("share %+v, want start %v in UTC and seed 7", s, want)
	}
	if err := json.Unmarshal([]byte(`{"workers":1,"phase":0.5}`), &s); err == nil {
		t.Error("an unknown share field was accepted")
	}
}

func TestShareSeeds(t *testing.T) {
	if shareSeed(42, 0, 0) != 42 || shareSeed(42, 3, 0) != 45 {
		t.Errorf("first split's seeds %d, %d; want the run's seed plus the share's index", shareSeed(42, 0, 0), shareSeed(42, 3, 0))
	}
	seen := map[uint64]bool{}
	for gen := range uint64(4) {
		for k := range 4 {
			s := shareSeed(42, k, gen)
			if seen[s] {
				t.Fatalf("split %d share %d repeats a seed", gen, k)
			}
			seen[s] = true
		}
	}
}

// TestNewCoordinatorChecksOpenSpec checks that a coordinator refuses an
// unusable open-model spec and cuts the rate at the run time.
func TestNewCoordinatorChecksOpenSpec(t *testing.T) {
	spec := testSpec("http://127.0.0.1:9")
	spec.Open = &OpenSpec{Rate: schedule.Constant(0)}
	if _, err := NewCoordinator(CoordinatorConfig{Spec: spec}); err == nil || !strings.Contains(err.Error(), "positive") {
		t.Errorf("zero rate: %v, want an error", err)
	}
	spec.Open = &OpenSpec{Rate: schedule.Constant(50), MaxLag: 2 * time.Second}
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
	spec.Open = &OpenSpec{Rate: schedule.Constant(50)}
	cfg := fastConfig(t, spec)
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	wc.register("w1")
	wc.register("w2")
	beat := func(id string, oc *OpenCounts) int {
		st, _ := wc.do(http.MethodPost, PathHeartbeat, HeartbeatRequest{V: 1, ID: id, State: StateRunning, Open: oc})
		return st
	}
	if st := beat("w1", &OpenCounts{Scheduled: 10, Sent: 9, Dropped: 1, MaxLateNS: int64(time.Millisecond), Slots: 3, MaxInFlight: 100, MaxLagNS: int64(time.Second), LateAfterNS: int64(10 * time.Millisecond)}); st != http.StatusNoContent {
		t.Fatalf("heartbeat: HTTP %d", st)
	}
	if st := beat("w2", &OpenCounts{Scheduled: 5, Sent: 5, MaxLateNS: int64(3 * time.Millisecond), Slots: 2, MaxInFlight: 100, MaxLagNS: int64(time.Second), LateAfterNS: int64(10 * time.Millisecond)}); st != http.StatusNoContent {
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
	if st := beat("w1", &OpenCounts{Scheduled: 4, Sent: 4, Slots: 1, MaxInFlight: 100, MaxLagNS: int64(time.Second), LateAfterNS: int64(10 * time.Millisecond)}); st != http.StatusNoContent {
		t.Fatalf("heartbeat: HTTP %d", st)
	}
	if st, _ := c.OpenStats(); st.Scheduled != 19 || st.Sent != 18 || st.Slots != 5 || st.MaxInFlight != 200 {
		t.Errorf("fleet counts after a restart %+v, want both processes' requests and the current caps", st)
	}
	for name, oc := range map[string]*OpenCounts{
		"negative max late": {MaxLateNS: -1},
		"negative slots":    {Slots: -1},
		"huge cap":          {MaxInFlight: maxOpenInFlight + 1},
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
	spec.Open = &OpenSpec{Rate: schedule.Constant(50)}
	cfg := fastConfig(t, spec)
	cfg.RunTime = 600 * time.Millisecond
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	wc.register("old")
	before := time.Now()
	runDone := runCoordinator(context.Background(), c)
	cmd, _ := wc.poll("old", 0)
	if cmd == nil || cmd.Kind != CommandSpawn || cmd.Open == nil || cmd.Users != 0 {
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
		wc.heartbeat("old", StateRunning, 0)
		next, _ := wc.poll("old", after)
		if next == nil {
			continue
		}
		if next.Kind != CommandStop || next.Open == nil || next.Open.At != cfg.RunTime {
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
