package control

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
)

// TestProtocolRoundTrip plays one worker by hand through a whole run:
// register, the spawn command, heartbeats, reports, stop, the final
// report and quit.
func TestProtocolRoundTrip(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	cfg.Token = "s3cret"
	cfg.Users = 7
	cfg.SpawnRate = 3
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL, token: "s3cret"}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)
	wc.register("w1")

	cmd, st := wc.poll("w1", 0)
	if cmd == nil {
		t.Fatalf("poll: HTTP %d, want a spawn command", st)
	}
	if cmd.Kind != wire.CommandSpawn || cmd.Users != 7 || cmd.Rate != 3 || cmd.FirstID != 0 || cmd.Run != c.RunID() {
		t.Fatalf("first command = %+v, want spawn of 7 users at 3/s, first ID 0, run %s", cmd, c.RunID())
	}
	if cmd.Spec == nil || cmd.Spec.Profile.YAML != testProfile || cmd.Spec.Seed != 42 || cmd.Spec.Timeout != 5*time.Second {
		t.Fatalf("spawn spec = %+v, want the coordinator's spec", cmd.Spec)
	}
	if st := wc.heartbeat("w1", wire.StateRunning, 7); st != http.StatusNoContent {
		t.Fatalf("heartbeat: HTTP %d", st)
	}

	d1 := recordedDelta(100, 1)
	if st, ack := wc.report("w1", c.RunID(), 1, false, d1); st != http.StatusOK || !ack.Applied || ack.Seq != 1 {
		t.Fatalf("report 1: HTTP %d, %+v", st, ack)
	}
	// The same report again, as after a lost acknowledgement: not applied.
	if st, ack := wc.report("w1", c.RunID(), 1, false, d1); st != http.StatusOK || ack.Applied {
		t.Fatalf("repeated report 1: HTTP %d, %+v; want acknowledged, not applied", st, ack)
	}
	// A report of another run is acknowledged and dropped.
	if st, ack := wc.report("w1", "another-run", 2, false, d1); st != http.StatusOK || ack.Applied {
		t.Fatalf("report of another run: HTTP %d, %+v; want acknowledged, not applied", st, ack)
	}
	waitFor(t, 5*time.Second, "the worker table to show the heartbeat and the report", func() bool {
		ws := c.Workers()
		return len(ws) == 1 && ws[0].Users == 7 && ws[0].State == string(wire.StateRunning) && ws[0].Requests == 100 && ws[0].Failures == 10
	})

	cancel() // end the run: the worker must be told to stop
	cmd, _ = wc.poll("w1", cmd.Seq)
	if cmd == nil || cmd.Kind != wire.CommandStop {
		t.Fatalf("after the run ended: %+v, want stop", cmd)
	}
	d2 := recordedDelta(40, 2)
	if st, ack := wc.report("w1", c.RunID(), 2, true, d2); st != http.StatusOK || !ack.Applied {
		t.Fatalf("final report: HTTP %d, %+v", st, ack)
	}
	// A heartbeat sent before the final report, arriving after it.
	if st := wc.heartbeat("w1", wire.StateStopping, 7); st != http.StatusNoContent {
		t.Fatalf("late heartbeat: HTTP %d", st)
	}
	cmd, _ = wc.poll("w1", cmd.Seq)
	if cmd == nil || cmd.Kind != wire.CommandQuit {
		t.Fatalf("after the final report: %+v, want quit", cmd)
	}
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	if n := out.res.Snapshot.Total.Count(); n != 140 {
		t.Errorf("final count %d, want 140 (100 + 40, the repeat and the other run's report not counted)", n)
	}
	if n := out.res.Snapshot.Total.Failures(); n != 14 {
		t.Errorf("final failures %d, want 14", n)
	}
	if len(out.res.Warnings) != 0 {
		t.Errorf("warnings %q, want none", out.res.Warnings)
	}
	if ws := out.res.Workers; len(ws) != 1 || ws[0].State != string(wire.StateStopped) {
		t.Errorf("final worker table %+v, want w1 stopped", ws)
	}
	// Quitting as told after its final report leaves it stopped.
	if st := wc.heartbeat("w1", wire.StateQuit, 0); st != http.StatusNoContent {
		t.Fatalf("quit heartbeat: HTTP %d", st)
	}
	if ws := c.Workers(); ws[0].State != string(wire.StateStopped) {
		t.Errorf("after quitting: worker table %+v, want w1 stopped", ws)
	}
}

// TestUnauthenticatedRequestsChangeNothing sends every kind of request
// without the token and with a wrong one.
func TestUnauthenticatedRequestsChangeNothing(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	cfg.Token = "s3cret"
	c, srv := startCoordinator(t, cfg)
	good := wireClient{t: t, url: srv.URL, token: "s3cret"}
	good.register("w1")
	before := c.Workers()

	for _, token := range []string{"", "wrong", "S3CRET", "s3cret2"} {
		bad := wireClient{t: t, url: srv.URL, token: token}
		requests := []struct {
			method, path string
			body         any
		}{
			{http.MethodPost, wire.PathRegister, wire.RegisterRequest{V: 1, ID: "intruder", Host: "x", Cores: 1}},
			{http.MethodPost, wire.PathHeartbeat, wire.HeartbeatRequest{V: 1, ID: "w1", State: wire.StateQuit}},
			{http.MethodPost, wire.ReportRequest{ID: "w1", Run: c.RunID(), Seq: 1}.Query(), recordedDelta(5, 1)},
			{http.MethodGet, wire.PathCommands + "?worker=w1&after=0", nil},
		}
		for _, r := range requests {
			st, body := bad.do(r.method, r.path, r.body)
			if st != http.StatusUnauthorized {
				t.Errorf("token %q, %s %s: HTTP %d %s, want 401", token, r.method, r.path, st, body)
			}
		}
	}
	after := c.Workers()
	if len(after) != 1 || after[0] != before[0] {
		t.Fatalf("worker table changed by unauthenticated requests:\nbefore %+v\nafter  %+v", before, after)
	}
}

// TestMalformedAndOversizedRequests checks that bad requests get a 4xx and
// leave the coordinator as it was.
func TestMalformedAndOversizedRequests(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	wc.register("w1")
	// Start the run so that reports would be merged.
	ctx, cancel := context.WithCancel(context.Background())
	runDone := runCoordinator(ctx, c)
	defer func() {
		cancel()
		wc.finish("w1", c.RunID(), 2)
		<-runDone
	}()
	if cmd, _ := wc.poll("w1", 0); cmd == nil || cmd.Kind != wire.CommandSpawn {
		t.Fatalf("want the run to start, got %+v", cmd)
	}
	before := c.Workers()

	goodDelta, _ := json.Marshal(recordedDelta(10, 1))
	huge := `{"v":1,"id":"w2","host":"` + strings.Repeat("x", wire.MaxMessageBytes) + `"}`
	report := func(query string) string { return wire.PathReport + "?" + query }
	okQuery := "v=1&worker=w1&run=" + c.RunID() + "&seq=1&final=0"
	hugeReport := `{"version":1,"entries":[],"errors":[],"pad":"` + strings.Repeat("x", wire.MaxReportBytes) + `"}`
	tests := []struct {
		name         string
		method, path string
		body         string
		want         int
	}{
		{"register: not JSON", "POST", wire.PathRegister, `{"v":1,`, 400},
		{"register: unknown field", "POST", wire.PathRegister, `{"v":1,"id":"w2","shell":"rm"}`, 400},
		{"register: other version", "POST", wire.PathRegister, `{"v":2,"id":"w2"}`, 400},
		{"register: bad id", "POST", wire.PathRegister, `{"v":1,"id":"a b/c"}`, 400},
		{"register: empty id", "POST", wire.PathRegister, `{"v":1,"id":""}`, 400},
		{"register: trailing data", "POST", wire.PathRegister, `{"v":1,"id":"w2"} {"v":1}`, 400},
		{"register: oversized", "POST", wire.PathRegister, huge, 413},
		{"register: GET", "GET", wire.PathRegister, "", 405},
		{"heartbeat: unknown state", "POST", wire.PathHeartbeat, `{"v":1,"id":"w1","state":"exploding"}`, 400},
		{"heartbeat: negative users", "POST", wire.PathHeartbeat, `{"v":1,"id":"w1","state":"running","users":-1}`, 400},
		{"heartbeat: string users", "POST", wire.PathHeartbeat, `{"v":1,"id":"w1","state":"running","users":"7"}`, 400},
		{"heartbeat: unknown worker", "POST", wire.PathHeartbeat, `{"v":1,"id":"w9","state":"running"}`, 410},
		{"report: no delta", "POST", report(okQuery), "", 400},
		{"report: delta not JSON", "POST", report(okQuery), `{"version":1,`, 400},
		{"report: seq 0", "POST", report("v=1&worker=w1&run=" + c.RunID() + "&seq=0&final=0"), string(goodDelta), 400},
		{"report: seq twice", "POST", report(okQuery + "&seq=2"), string(goodDelta), 400},
		{"report: other version", "POST", report("v=2&worker=w1&run=" + c.RunID() + "&seq=1&final=0"), string(goodDelta), 400},
		{"report: unknown parameter", "POST", report(okQuery + "&users=5"), string(goodDelta), 400},
		{"report: bad final", "POST", report("v=1&worker=w1&run=" + c.RunID() + "&seq=1&final=yes"), string(goodDelta), 400},
		{"report: no run", "POST", report("v=1&worker=w1&seq=1&final=0"), string(goodDelta), 400},
		{"report: bad histogram", "POST", report(okQuery), `{"version":1,"entries":[{"method":"GET","name":"/a","count":5,"hdr":"bm90IGEgaGlzdG9ncmFt"}]}`, 400},
		{"report: delta of another version", "POST", report(okQuery), `{"version":9}`, 400},
		{"report: unknown worker", "POST", report("v=1&worker=w9&run=" + c.RunID() + "&seq=1&final=0"), string(goodDelta), 410},
		{"report: oversized", "POST", report(okQuery), hugeReport, 413},
		{"report: GET", "GET", report(okQuery), "", 405},
		{"commands: POST", "POST", wire.PathCommands + "?worker=w1", "", 405},
		{"commands: bad worker", "GET", wire.PathCommands + "?worker=%20", "", 400},
		{"commands: bad after", "GET", wire.PathCommands + "?worker=w1&after=-1", "", 400},
		{"commands: unknown worker", "GET", wire.PathCommands + "?worker=w9", "", 410},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			st, resp := wc.do(tt.method, tt.path, body)
			if st != tt.want {
				t.Fatalf("HTTP %d %s, want %d", st, resp, tt.want)
			}
			var e wire.ErrorResponse
			if err := json.Unmarshal(resp, &e); err != nil || e.Error == "" || e.V != wire.ProtocolVersion {
				t.Fatalf("error body %q: want {\"v\":1,\"error\":...}", resp)
			}
		})
	}
	after := c.Workers()
	if len(after) != len(before) || after[0].Requests != 0 || after[0].State != before[0].State {
		t.Fatalf("bad requests changed the worker table:\nbefore %+v\nafter  %+v", before, after)
	}
	// The run's statistics are still empty, and a good report still works.
	if st, ack := wc.report("w1", c.RunID(), 1, false, recordedDelta(10, 1)); st != 200 || !ack.Applied {
		t.Fatalf("a good report after the bad ones: HTTP %d %+v", st, ack)
	}
}

// TestLongPollHoldsThenAnswers checks that a poll with nothing new is held
// and answered 204, and that a new command wakes a held poll.
func TestLongPollHoldsThenAnswers(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	cfg.PollHold = 200 * time.Millisecond
	cfg.ExpectWorkers = 2
	cfg.SpawnRate = 10
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	wc.register("w1")
	ctx, cancel := context.WithCancel(context.Background())
	runDone := runCoordinator(ctx, c)
	defer func() {
		cancel()
		wc.final("w1", c.RunID(), 1)
		wc.final("w2", c.RunID(), 1)
		wc.awaitQuit("w1")
		wc.awaitQuit("w2")
		<-runDone
	}()

	// Waiting for the second worker: nothing to do yet.
	if cmd, st := wc.poll("w1", 0); cmd != nil || st != http.StatusNoContent {
		t.Fatalf("poll before the run: %+v HTTP %d, want 204", cmd, st)
	}
	got := make(chan *wire.Command, 1)
	go func() {
		cmd, _ := wc.poll("w1", 0)
		got <- cmd
	}()
	wc.register("w2")
	select {
	case cmd := <-got:
		// Each of the two ramps at half the fleet's rate.
		if cmd == nil || cmd.Kind != wire.CommandSpawn || cmd.Users != 2 || cmd.Rate != 5 {
			t.Fatalf("woken poll: %+v, want spawn of 2 users at 5/s", cmd)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a held poll was not answered")
	}
	if cmd, _ := wc.poll("w2", 0); cmd == nil || cmd.FirstID != UserIDBlock {
		t.Fatalf("second worker's command %+v, want first ID %d", cmd, UserIDBlock)
	}
}
