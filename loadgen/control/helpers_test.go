package control

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/jsonhttp"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
)

// testProfile puts the user ID and the user's task count in every path,
// so the target can check that no two users of the fleet share an ID.
const testProfile = `name: control-test
tasks:
  - name: /u
    method: GET
    path: /u/{{userID}}/{{seq}}
    weight: 1
`

// target is a loopback HTTP server that counts the requests it gets.
type target struct {
	srv      *httptest.Server
	requests atomic.Int64
	last     atomic.Int64 // unix nanoseconds of the latest request

	mu    sync.Mutex
	paths map[string]int // path -> times seen, bounded by maxPaths
}

const maxPaths = 200_000

func newTarget(t *testing.T) *target {
	t.Helper()
	tg := &target{paths: make(map[string]int)}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.requests.Add(1)
		tg.last.Store(time.Now().UnixNano())
		tg.mu.Lock()
		if len(tg.paths) < maxPaths {
			tg.paths[r.URL.Path]++
		}
		tg.mu.Unlock()
		// A little service time keeps the request rate, and so the test's
		// CPU use, modest.
		time.Sleep(2 * time.Millisecond)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(tg.srv.Close)
	return tg
}

// userIDs returns the distinct user IDs in the paths seen, and whether
// any path was seen twice.
func (tg *target) userIDs(t *testing.T) (ids map[int]bool, dup bool) {
	t.Helper()
	tg.mu.Lock()
	defer tg.mu.Unlock()
	ids = make(map[int]bool)
	for p, n := range tg.paths {
		if n > 1 {
			dup = true
		}
		parts := strings.Split(strings.TrimPrefix(p, "/u/"), "/")
		id, err := strconv.Atoi(parts[0])
		if err != nil {
			t.Fatalf("unexpected path %q", p)
		}
		ids[id] = true
	}
	return ids, dup
}

func testSpec(host string) loadgen.Spec {
	return loadgen.Spec{
		Profile: profiles.Source{File: "control-test.yaml", YAML: testProfile},
		Wait:    profiles.Wait{Kind: profiles.WaitConstant, Min: 20 * time.Millisecond, Max: 20 * time.Millisecond},
		Client:  "nethttp",
		Timeout: 5 * time.Second,
		Seed:    42,
		Host:    host,
	}
}

func testLogger(t *testing.T) *slog.Logger {
	tw := &testWriter{t: t}
	t.Cleanup(tw.close)
	return slog.New(slog.NewTextHandler(tw, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testWriter sends log lines to the test's log, shown on failure, until
// the test's cleanup: goroutines still winding down then are not allowed
// to log into a finished test.
type testWriter struct {
	t      *testing.T
	mu     sync.Mutex
	closed bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
}

// fastConfig is a coordinator config with short intervals, so that tests
// take a second, not ten. Workers are marked missing only after 100 s, so
// that tests that play a worker by hand need not heartbeat; tests of
// losses set MissedHeartbeats.
func fastConfig(t *testing.T, spec loadgen.Spec) CoordinatorConfig {
	return CoordinatorConfig{
		Spec:             spec,
		Users:            4,
		SpawnRate:        0,
		MissedHeartbeats: 1000,
		Heartbeat:        100 * time.Millisecond,
		Interval:         100 * time.Millisecond,
		PollHold:         time.Second,
		FinalWait:        3 * time.Second,
		Version:          "test",
		Logger:           testLogger(t).With("side", "coordinator"),
	}
}

// startCoordinator serves a coordinator on a loopback httptest server.
func startCoordinator(t *testing.T, cfg CoordinatorConfig) (*Coordinator, *httptest.Server) {
	t.Helper()
	c, err := NewCoordinator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() {
		_ = c.Close()
		srv.Close()
	})
	return c, srv
}

// runCoordinator runs c.Run in the background.
func runCoordinator(ctx context.Context, c *Coordinator) <-chan runOutcome {
	out := make(chan runOutcome, 1)
	go func() {
		res, err := c.Run(ctx)
		out <- runOutcome{res, err}
	}()
	return out
}

type runOutcome struct {
	res *Result
	err error
}

// runningWorker is a worker whose Run goes on in the background.
type runningWorker struct {
	*Worker
	done   chan struct{} // closed when Run has returned
	err    error         // what Run returned, once done is closed
	cancel context.CancelFunc
}

// stop cancels the worker and waits for Run to return.
func (rw *runningWorker) stop(t *testing.T) {
	t.Helper()
	rw.cancel()
	select {
	case <-rw.done:
	case <-time.After(15 * time.Second):
		t.Errorf("worker %s did not stop", rw.ID())
	}
}

// startWorker runs a worker in the background until the test ends.
func startWorker(t *testing.T, url string, cfg WorkerConfig) *runningWorker {
	t.Helper()
	cfg.Coordinator = url
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t).With("side", "worker")
	}
	if cfg.Version == "" {
		cfg.Version = "test"
	}
	w, err := NewWorker(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rw := &runningWorker{Worker: w, done: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(rw.done)
		rw.err = w.Run(ctx)
	}()
	t.Cleanup(func() { rw.stop(t) })
	return rw
}

// waitFor polls cond every 10 ms until it holds, failing the test after
// limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wireClient speaks the protocol by hand, to play a worker whose every
// message the test controls.
type wireClient struct {
	t     *testing.T
	url   string
	token string
}

// do sends body (JSON-encoded unless it is already []byte or a string)
// and returns the status and response body.
func (c wireClient) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	wire.SetToken(req, c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, data
}

func (c wireClient) register(id string) {
	c.t.Helper()
	st, body := c.do(http.MethodPost, wire.PathRegister, wire.RegisterRequest{V: 1, ID: id, Host: "fake", Version: "test", Cores: 1, PID: 1})
	if st != http.StatusOK {
		c.t.Fatalf("register %s: HTTP %d: %s", id, st, body)
	}
}

func (c wireClient) heartbeat(id string, state wire.WorkerState, users int) int {
	c.t.Helper()
	st, _ := c.do(http.MethodPost, wire.PathHeartbeat, wire.HeartbeatRequest{V: 1, ID: id, State: state, Users: users})
	return st
}

// poll returns the next command after seq, or nil on 204.
func (c wireClient) poll(id string, after uint64) (*wire.Command, int) {
	c.t.Helper()
	st, body := c.do(http.MethodGet, wire.PathCommands+"?worker="+id+"&after="+strconv.FormatUint(after, 10), nil)
	if st != http.StatusOK {
		return nil, st
	}
	var cmd wire.Command
	if err := jsonhttp.DecodeStrict(body, &cmd); err != nil {
		c.t.Fatalf("command: %v: %s", err, body)
	}
	return &cmd, st
}

func (c wireClient) report(id, run string, seq uint64, final bool, d *results.Delta) (int, wire.ReportResponse) {
	c.t.Helper()
	raw, err := json.Marshal(d)
	if err != nil {
		c.t.Fatal(err)
	}
	st, body := c.do(http.MethodPost, wire.ReportRequest{ID: id, Run: run, Seq: seq, Final: final}.Query(), raw)
	var ack wire.ReportResponse
	if st == http.StatusOK {
		if err := json.Unmarshal(body, &ack); err != nil {
			c.t.Fatal(err)
		}
	}
	return st, ack
}

// recordedDelta returns a delta of n requests on entry GET /a, with
// latencies spread by seed, and a failure every tenth request.
func recordedDelta(n, seed int) *results.Delta {
	r := results.NewRecorder([]results.EntryKey{{Method: "GET", Name: "/a"}, {Method: "POST", Name: "/b"}})
	for i := range n {
		lat := time.Duration(300+(i*7919+seed*104729)%90_000) * time.Microsecond
		switch {
		case i%10 == 9:
			r.Failure(i%2, lat, 0, "HTTP 503 Service Unavailable")
		default:
			r.Success(i%2, lat, 100)
		}
	}
	d := results.NewDelta()
	r.Drain(d)
	return d
}

// finish plays a hand-driven worker's end of a run: the final report, then
// the poll that collects quit, so that the coordinator's Run need not wait
// out its bounds.
func (c wireClient) finish(id, run string, seq uint64) {
	c.t.Helper()
	c.final(id, run, seq)
	c.awaitQuit(id)
}

func (c wireClient) final(id, run string, seq uint64) {
	c.t.Helper()
	if st, _ := c.report(id, run, seq, true, results.NewDelta()); st != http.StatusOK {
		c.t.Errorf("final report of %s: HTTP %d", id, st)
	}
}

func (c wireClient) awaitQuit(id string) {
	c.t.Helper()
	var after uint64
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		cmd, _ := c.poll(id, after)
		if cmd == nil {
			continue
		}
		if cmd.Kind == wire.CommandQuit {
			return
		}
		after = cmd.Seq
	}
	c.t.Errorf("%s never got quit", id)
}

// cuttableLink is a path to c that the test can cut: while down is set,
// every control request through it gets 503, as across a network
// partition, and nothing reaches c.
func cuttableLink(t *testing.T, c *Coordinator) (url string, down *atomic.Bool) {
	t.Helper()
	down = new(atomic.Bool)
	link := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "link down", http.StatusServiceUnavailable)
			return
		}
		c.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(link.Close)
	return link.URL, down
}
