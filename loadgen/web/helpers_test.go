package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/threshold"
)

var fixtureStart = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// fixtureSnapshot is a small finished run: two entries over three
// seconds, with failures in groups failures of one occurrence each.
func fixtureSnapshot(t *testing.T, groups int) *results.Snapshot {
	t.Helper()
	keys := []results.EntryKey{{Method: "GET", Name: "/albums"}, {Method: "POST", Name: "/albums"}}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	rec := results.NewRecorder(keys)
	d := results.NewDelta()
	for sec := 1; sec <= 3; sec++ {
		for i := range 30 {
			rec.Success(0, time.Duration(1000+i*50)*time.Microsecond, 100)
			if i%3 == 0 {
				rec.Success(1, time.Duration(3000+i*70)*time.Microsecond, 20)
			}
		}
		if sec == 2 {
			for g := range groups {
				rec.Observe(1, results.Observation{Latency: time.Millisecond, Err: "refused " + letters(g), At: fixtureStart.Add(1500 * time.Millisecond)})
			}
		}
		d.Reset()
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		agg.Tick(fixtureStart.Add(time.Duration(sec)*time.Second), 5)
	}
	return agg.Snapshot(fixtureStart.Add(3 * time.Second))
}

func letters(i int) string {
	s := ""
	for {
		s = string(rune('a'+i%26)) + s
		i /= 26
		if i == 0 {
			return s
		}
	}
}

// fakeRun is a Run whose statistics are fixed and whose controls are
// recorded, to test the server's state machine on its own.
type fakeRun struct {
	snap    *results.Snapshot
	workers []results.WorkerStatus
	mu      sync.Mutex
	// editErr and resetErr, when set, are what Edit and Reset return.
	editErr, resetErr error
	state             string
	spec              *loadgen.Spec
	edits             [][2]float64
	resets            int
	done              chan struct{}
	once              sync.Once
}

func newFakeRun(snap *results.Snapshot) *fakeRun {
	return &fakeRun{snap: snap, state: "running", done: make(chan struct{})}
}

func (f *fakeRun) Snapshot() *results.Snapshot { return f.snap }
func (f *fakeRun) State() loadgen.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return loadgen.State(f.state)
}
func (f *fakeRun) Edit(c loadgen.Change) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.editErr != nil {
		return f.editErr
	}
	f.edits = append(f.edits, [2]float64{float64(c.Users), c.SpawnRate})
	return nil
}
func (f *fakeRun) Reset() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.resetErr != nil {
		return f.resetErr
	}
	f.resets++
	return nil
}
func (f *fakeRun) Stop(ctx context.Context) error {
	f.once.Do(func() {
		f.mu.Lock()
		f.state = "stopped"
		f.mu.Unlock()
		close(f.done)
	})
	return nil
}
func (f *fakeRun) failControls(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.editErr, f.resetErr = err, err
}

// recorded returns the edits and the number of resets so far.
func (f *fakeRun) recorded() ([][2]float64, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][2]float64(nil), f.edits...), f.resets
}

func (f *fakeRun) Done() <-chan struct{}           { return f.done }
func (f *fakeRun) Workers() []results.WorkerStatus { return f.workers }
func (f *fakeRun) Warnings() []string              { return nil }
func (f *fakeRun) Spec() *loadgen.Spec             { return f.spec }

func (f *fakeRun) Wait() (*loadgen.Result, error) {
	<-f.done
	return f.Result(), nil
}

// Result is the run's statistics with its thresholds checked, as a
// started run gives them.
func (f *fakeRun) Result() *loadgen.Result {
	res := &loadgen.Result{Spec: f.spec, Name: "fake", Snapshot: f.snap, Workers: f.workers}
	p, err := f.spec.Plan()
	if err != nil {
		panic(err)
	}
	if len(p.Thresholds) > 0 {
		res.Thresholds, res.ThresholdsPassed = threshold.EvaluateAll(p.Thresholds, f.snap)
	}
	return res
}

// fakeSpec is a Spec with the given tasks (none: one GET /albums) and
// thresholds.
func fakeSpec(tasks []loadgen.TaskWeight, thresholds ...string) *loadgen.Spec {
	if len(tasks) == 0 {
		tasks = []loadgen.TaskWeight{{Method: "GET", Name: "/albums", Weight: 1}}
	}
	w := &loadgen.Workload{}
	for _, t := range tasks {
		w.Tasks = append(w.Tasks, users.Task{Method: t.Method, Name: t.Name, Weight: t.Weight})
	}
	s := &loadgen.Spec{Host: "http://127.0.0.1:1", Client: "fasthttp", Timeout: time.Minute, Users: 10, Workload: w}
	for _, th := range thresholds {
		s.Thresholds = append(s.Thresholds, loadgen.Threshold{Expr: th})
	}
	return s
}

// fakeStarter starts fakeRuns and remembers the requests.
type fakeStarter struct {
	t    *testing.T
	snap *results.Snapshot
	// spec is the runs' Spec; default fakeSpec().
	spec *loadgen.Spec
	// workers is the worker table of the runs started.
	workers []results.WorkerStatus
	// err, when set, is returned instead of starting.
	err error

	mu   sync.Mutex
	reqs []StartRequest
	runs []*fakeRun
}

func (f *fakeStarter) start(ctx context.Context, req StartRequest) (loadgen.Run, error) {
	if f.err != nil {
		return nil, f.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r := newFakeRun(f.snap)
	r.workers, r.spec = f.workers, f.spec
	if r.spec == nil {
		r.spec = fakeSpec(nil)
	}
	f.reqs = append(f.reqs, req)
	f.runs = append(f.runs, r)
	return r, nil
}

func (f *fakeStarter) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.runs)
}

func (f *fakeStarter) last() (StartRequest, *fakeRun) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.runs) == 0 {
		f.t.Fatal("no run was started")
	}
	return f.reqs[len(f.reqs)-1], f.runs[len(f.runs)-1]
}

var testDefaults = StartRequest{Users: 10, SpawnRate: 2, Host: "http://127.0.0.1:1", RunTime: "30s", Profile: "albums"}

// newTestServer serves a server on loopback; cfg.Start defaults to a
// fakeStarter, which it returns.
func newTestServer(t *testing.T, cfg Config) (*Server, *httptest.Server, *fakeStarter) {
	t.Helper()
	fs := &fakeStarter{t: t, snap: fixtureSnapshot(t, 3)}
	if cfg.Start == nil {
		cfg.Start = fs.start
	}
	if cfg.Defaults == (StartRequest{}) {
		cfg.Defaults = testDefaults
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return s, ts, fs
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", r.status, err, r.body)
	}
}

// call sends a request; a string body is sent as JSON.
func call(t *testing.T, ts *httptest.Server, method, path string, body any, header map[string]string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func wantStatus(t *testing.T, r response, want int, what string) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, want, r.body)
	}
}

func getStats(t *testing.T, ts *httptest.Server) Stats {
	t.Helper()
	r := call(t, ts, "GET", "/api/stats", nil, nil)
	wantStatus(t, r, 200, "GET /api/stats")
	var st Stats
	r.json(t, &st)
	return st
}

// startAlbums starts an album service on loopback for real runs.
func startAlbums(t *testing.T) string {
	t.Helper()
	srv, err := albumsvc.Start(context.Background(), albumsvc.Config{Preload: 3}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	return "http://" + srv.Addr()
}

// localStarter runs requests in this process, with defaultHost for
// requests without a host: what the command line does, without its
// flags.
func localStarter(defaultHost string) Starter {
	return func(ctx context.Context, req StartRequest) (loadgen.Run, error) {
		spec := &loadgen.Spec{Host: req.Host, Users: req.Users, SpawnRate: req.SpawnRate, Seed: 1}
		if spec.Host == "" {
			spec.Host = defaultHost
		}
		if req.ProfileYAML != "" {
			spec.Profile = profiles.Source{File: "profile_yaml", YAML: req.ProfileYAML}
		} else {
			spec.Profile = profiles.Source{Builtin: req.Profile}
		}
		p, err := spec.Profile.Load()
		if err != nil {
			return nil, BadRequest(err)
		}
		spec.Wait = p.Wait
		if spec.RunTime, err = RunTime(req); err != nil {
			return nil, BadRequest(err)
		}
		run, err := loadgen.Start(ctx, loadgen.Local{}, spec, loadgen.Hooks{})
		if err != nil {
			return nil, BadRequest(err)
		}
		return run, nil
	}
}

// waitFor polls cond until it holds, failing the test after a bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var errBoom = errors.New("boom")
