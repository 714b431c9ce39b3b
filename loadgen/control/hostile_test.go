package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/results"
)

// startHandRun starts a run whose one worker, w1, the test plays by hand,
// and returns its client and a function that ends the run and returns
// its result.
func startHandRun(t *testing.T, cfg CoordinatorConfig) (*Coordinator, wireClient, func(finalSeq uint64) *Result) {
	t.Helper()
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL, token: cfg.Token}
	wc.register("w1")
	ctx, cancel := context.WithCancel(context.Background())
	done := runCoordinator(ctx, c)
	if cmd, _ := wc.poll("w1", 0); cmd == nil || cmd.Kind != wire.CommandSpawn {
		t.Fatalf("want the run to start, got %+v", cmd)
	}
	end := func(finalSeq uint64) *Result {
		t.Helper()
		cancel()
		wc.finish("w1", c.RunID(), finalSeq)
		out := <-done
		if out.err != nil {
			t.Fatal(out.err)
		}
		return out.res
	}
	t.Cleanup(cancel)
	return c, wc, end
}

// postRaw sends a report body as it is.
func postRaw(wc wireClient, run string, seq uint64, body string) int {
	wc.t.Helper()
	st, _ := wc.do(http.MethodPost, wire.ReportRequest{ID: "w1", Run: run, Seq: seq}.Query(), body)
	return st
}

// TestForgedReportsChangeNothing: a worker with the token that sends
// numbers no worker could have measured (an average from a huge sum, a
// maximum its histogram never saw, counts that would wrap, a sequence
// number far ahead, fields the protocol does not have, a method that
// splits table rows) has each report refused whole: the merged statistics
// stay those of the good reports, with no negative or impossible number,
// its good reports after a forged sequence number still count, and the
// run's warnings say how many reports were refused.
func TestForgedReportsChangeNothing(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	c, wc, end := startHandRun(t, cfg)
	run := c.RunID()

	good := recordedDelta(10, 1)
	raw, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	var wd struct {
		Entries []map[string]any `json:"entries"`
	}
	if err := json.Unmarshal(raw, &wd); err != nil {
		t.Fatal(err)
	}
	hdr := wd.Entries[0]["hdr"].(string)
	e := wd.Entries[0]
	entry := func(change func(m map[string]any)) string {
		m := map[string]any{}
		for k, v := range e {
			m[k] = v
		}
		change(m)
		b, _ := json.Marshal(map[string]any{"version": 1, "entries": []any{m}, "errors": []any{}})
		return string(b)
	}
	errorsOf := func(text string, count int64) string {
		b, _ := json.Marshal(map[string]any{"version": 1, "entries": []any{}, "errors": []any{map[string]any{
			"method": "GET", "name": "/a", "error": text, "count": count,
			"first_seen": "2026-01-01T00:00:00Z", "last_seen": "2026-01-01T00:00:01Z"}}})
		return string(b)
	}
	forged := []struct {
		name string
		body string
		want int
	}{
		{"sum of 1e18", entry(func(m map[string]any) { m["sum_us"] = 1e18 }), 400},
		{"max of 24 h", entry(func(m map[string]any) { m["max_us"] = 86_400_000_000 }), 400},
		{"unknown field in an entry", entry(func(m map[string]any) { m["weight"] = 3 }), 400},
		{"method with a newline", entry(func(m map[string]any) { m["method"] = "GET\nPOST /x" }), 400},
		{"histogram of another entry", entry(func(m map[string]any) { m["hdr"] = hdr; m["count"] = 1 }), 400},
		{"error text of 1 MB", errorsOf(strings.Repeat("x", 1<<20), 1), 400},
	}
	for _, f := range forged {
		if st := postRaw(wc, run, 1, f.body); st != f.want {
			t.Errorf("%s: HTTP %d, want %d", f.name, st, f.want)
		}
	}
	// Counts that would wrap: the first is taken, the second refused.
	if st := postRaw(wc, run, 1, errorsOf("timeout", 9e18)); st != 200 {
		t.Fatalf("a report of 9e18 failures: HTTP %d", st)
	}
	if st := postRaw(wc, run, 2, errorsOf("timeout", 9e18)); st != http.StatusUnprocessableEntity {
		t.Errorf("a second report of 9e18 failures: HTTP %d, want 422", st)
	}
	// A sequence number far ahead is refused, and the worker's next
	// reports still count.
	if st := postRaw(wc, run, 1<<63, string(raw)); st != 400 {
		t.Errorf("seq 2^63: HTTP %d, want 400", st)
	}
	if st, ack := wc.report("w1", run, 3, false, good); st != 200 || !ack.Applied {
		t.Errorf("a good report after the forged seq: HTTP %d %+v", st, ack)
	}
	res := end(4)
	s := res.Snapshot
	if s.Total.Count() != 10 || s.Total.Avg() <= 0 || s.Total.Max() > 100*time.Millisecond {
		t.Errorf("merged: %d requests, avg %v, max %v; want the good report's 10, its average and maximum", s.Total.Count(), s.Total.Avg(), s.Total.Max())
	}
	for _, g := range s.Errors {
		if g.Count < 0 {
			t.Errorf("failure group %v wrapped to %d", g.ErrorKey, g.Count)
		}
		if strings.ContainsAny(g.Method+g.Name+g.Error, "\n\r") || len(g.Error) > results.MaxErrorTextBytes {
			t.Errorf("failure group %q kept", g.ErrorKey)
		}
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "worker w1: 8 reports refused") {
		t.Errorf("warnings %q do not count the refused reports", res.Warnings)
	}
}

// TestEntryFloodIsBounded: a worker that names a new entry in every
// request can make the coordinator keep at most results.MaxEntries
// histograms; its requests are all counted.
func TestEntryFloodIsBounded(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	c, wc, end := startHandRun(t, cfg)
	const perReport, reports = 700, 3
	for r := range reports {
		keys := make([]results.EntryKey, perReport)
		for i := range keys {
			keys[i] = results.EntryKey{Method: "GET", Name: fmt.Sprintf("/id/%d", r*perReport+i)}
		}
		rec := results.NewRecorder(keys)
		for i := range keys {
			rec.Success(i, time.Millisecond, 1)
		}
		d := results.NewDelta()
		rec.Drain(d)
		if st, ack := wc.report("w1", c.RunID(), uint64(r+1), false, d); st != 200 || !ack.Applied {
			t.Fatalf("report %d: HTTP %d", r+1, st)
		}
	}
	s := end(reports + 1).Snapshot
	if len(s.Entries) != results.MaxEntries+1 || s.Total.Count() != perReport*reports {
		t.Errorf("%d entries holding %d requests; want %d and the overflow entry, holding all %d", len(s.Entries), s.Total.Count(), results.MaxEntries, perReport*reports)
	}
}

// syncLog collects log lines for a test to count.
type syncLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (l *syncLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// TestRegistrationFlood: 3,000 registrations from a token holder in a run
// that takes 40 workers: those past the cap are refused with 429, the
// log stays a few lines a second (none carries the whole fleet), the
// warnings sum the flood up, and the real worker keeps being steered.
func TestRegistrationFlood(t *testing.T) {
	tg := newTarget(t)
	cfg := fastConfig(t, testSpec(tg.srv.URL))
	var log syncLog
	cfg.Logger = slog.New(slog.NewTextHandler(&log, nil))
	cfg.MaxWorkers, cfg.Users, cfg.MissedHeartbeats = 40, 40, 1000
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	wc.register("first")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := runCoordinator(ctx, c)
	waitFor(t, 5*time.Second, "the run to start", func() bool { return c.runState() != "waiting" })

	start := time.Now()
	statuses := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 375 {
				body, _ := json.Marshal(wire.RegisterRequest{V: 1, ID: fmt.Sprintf("flood-%d-%d", g, i), Host: "h", Version: "other", Cores: 1, PID: 1})
				req, _ := http.NewRequest(http.MethodPost, srv.URL+wire.PathRegister, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if statuses[200] != cfg.MaxWorkers-1 || statuses[http.StatusTooManyRequests] != 3000-(cfg.MaxWorkers-1) {
		t.Errorf("answers %v; want %d registrations taken and the rest refused with 429", statuses, cfg.MaxWorkers-1)
	}
	// The first worker keeps getting commands: its share shrank to one
	// user among 40 workers, within moments.
	var after uint64
	waitFor(t, 5*time.Second, "the first worker's new share", func() bool {
		cmd, _ := wc.poll("first", after)
		if cmd != nil {
			after = cmd.Seq
			return cmd.Users == 1
		}
		return false
	})
	cancel()
	wc.final("first", c.RunID(), 1)
	out := <-done
	if out.err != nil {
		t.Fatal(out.err)
	}
	lines := log.snapshot()
	limit := int(took.Seconds()+4) * (floodLines + 8)
	if len(lines) > limit {
		t.Errorf("%d log lines for %d registrations in %v; want at most %d", len(lines), 3000, took, limit)
	}
	long := 0
	for _, l := range lines {
		if len(l) > 600 {
			if long++; long <= 3 {
				t.Errorf("a log line of %d bytes: %.200s...", len(l), l)
			}
		}
	}
	w := strings.Join(out.res.Warnings, "\n")
	for _, want := range []string{fmt.Sprintf("%d registrations refused", 3000-(cfg.MaxWorkers-1)), "more workers ran another version"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if n := strings.Count(w, "runs version"); n > maxVersionWarnings {
		t.Errorf("%d warnings name a worker of another version; want at most %d", n, maxVersionWarnings)
	}
}

// TestControlPortRefusesBrowsers: without a token, the control port
// answers no web page: not a request through DNS rebinding (a Host that
// is not this machine), not one a page sends (an Origin or
// Sec-Fetch-Site header), not a body that is not JSON (which a page may
// send anywhere, as text/plain, without asking first). With a token,
// bodies must be JSON still.
func TestControlPortRefusesBrowsers(t *testing.T) {
	for _, token := range []string{"", "tok"} {
		cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
		cfg.Token = token
		c, srv := startCoordinator(t, cfg)
		register := `{"v":1,"id":"evil","host":"h","version":"test","cores":1,"pid":1}`
		for _, tt := range []struct {
			name     string
			method   string
			path     string
			body     string
			header   map[string]string
			host     string
			want     int
			tokenToo bool // refused with a token as well
		}{
			{"text/plain", "POST", wire.PathRegister, register, map[string]string{"Content-Type": "text/plain"}, "", 415, true},
			{"no content type", "POST", wire.PathRegister, register, nil, "", 415, true},
			{"a form", "POST", wire.PathRegister, register, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "", 415, true},
			{"a page's origin", "POST", wire.PathRegister, register, map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, "", 403, false},
			{"a page's fetch", "POST", wire.PathRegister, register, map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, "", 403, false},
			{"DNS rebinding", "GET", wire.PathCommands + "?worker=evil", "", nil, "evil.example:5557", 421, false},
			{"DNS rebinding, POST", "POST", wire.PathRegister, register, map[string]string{"Content-Type": "application/json"}, "rebind.evil.example", 421, false},
		} {
			want := tt.want
			if token != "" && !tt.tokenToo {
				want = 0 // not refused for that reason
			}
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			wire.SetToken(req, token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if want != 0 && resp.StatusCode != want {
				t.Errorf("token %q, %s: HTTP %d %s, want %d", token, tt.name, resp.StatusCode, body, want)
			}
			if want == 0 && resp.StatusCode >= 400 && resp.StatusCode != http.StatusGone {
				t.Errorf("token %q, %s: HTTP %d %s, want it served", token, tt.name, resp.StatusCode, body)
			}
		}
		for _, w := range c.Workers() {
			if w.ID == "evil" && token == "" {
				t.Error("a browser's request registered a worker")
			}
		}
	}
}
