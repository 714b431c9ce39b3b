package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
)

// TestStateMachine walks a run through start, edit, reset and stop, and
// checks that every control out of turn is refused with 409.
func TestStateMachine(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})

	if st := getStats(t, ts); st.State != "ready" || st.Run != nil || len(st.Stats) != 0 {
		t.Fatalf("before any run: %+v", st)
	}
	for _, p := range []string{"/api/stop", "/api/edit", "/api/reset"} {
		body := any(nil)
		if p == "/api/edit" {
			body = map[string]int{"users": 1}
		}
		wantStatus(t, call(t, ts, "POST", p, body, nil), http.StatusConflict, "POST "+p+" before any run")
	}
	wantStatus(t, call(t, ts, "GET", "/download/stats.csv", nil, nil), http.StatusNotFound, "download before any run")

	r := call(t, ts, "POST", "/api/start", map[string]any{"users": 3, "spawn_rate": 1.5, "run_time": "1m"}, nil)
	wantStatus(t, r, 200, "start")
	var ans controlAnswer
	r.json(t, &ans)
	if ans.State != "running" || ans.Message != "run started" {
		t.Errorf("start answered %+v", ans)
	}
	req, run := fs.last()
	want := StartRequest{Users: 3, SpawnRate: 1.5, Host: testDefaults.Host, RunTime: "1m", Profile: "albums"}
	if req != want {
		t.Errorf("starter got %+v, want %+v (left-out fields from the defaults)", req, want)
	}
	wantStatus(t, call(t, ts, "POST", "/api/start", map[string]any{}, nil), http.StatusConflict, "second start")

	wantStatus(t, call(t, ts, "POST", "/api/edit", map[string]any{"users": 7}, nil), 200, "edit users")
	wantStatus(t, call(t, ts, "POST", "/api/edit", map[string]any{"users": 4, "spawn_rate": 0}, nil), 200, "edit both")
	if got, _ := run.recorded(); len(got) != 2 || got[0] != [2]float64{7, 1.5} || got[1] != [2]float64{4, 0} {
		t.Errorf("edits %v, want [7 1.5] (rate kept) then [4 0]", got)
	}
	if st := getStats(t, ts); st.Run == nil || st.Run.Users != 4 || st.Run.SpawnRate != 0 {
		t.Errorf("stats show the run as %+v after the edits", st.Run)
	}
	wantStatus(t, call(t, ts, "POST", "/api/edit", map[string]any{}, nil), http.StatusBadRequest, "edit without users")
	wantStatus(t, call(t, ts, "POST", "/api/edit", map[string]any{"users": -1}, nil), http.StatusBadRequest, "edit to -1 users")
	wantStatus(t, call(t, ts, "POST", "/api/edit", map[string]any{"users": 1, "spawn_rate": -2}, nil), http.StatusBadRequest, "edit to a negative rate")
	if got, _ := run.recorded(); len(got) != 2 {
		t.Errorf("refused edits reached the run: %v", got)
	}

	wantStatus(t, call(t, ts, "POST", "/api/reset", nil, nil), 200, "reset")
	if _, n := run.recorded(); n != 1 {
		t.Errorf("%d resets, want 1", n)
	}

	r = call(t, ts, "POST", "/api/stop", nil, nil)
	wantStatus(t, r, 200, "stop")
	r.json(t, &ans)
	if ans.State != "stopped" {
		t.Errorf("stop answered %+v", ans)
	}
	r = call(t, ts, "POST", "/api/stop", nil, nil)
	wantStatus(t, r, 200, "second stop")
	r.json(t, &ans)
	if !strings.Contains(ans.Message, "already stopped") {
		t.Errorf("second stop answered %+v", ans)
	}
	wantStatus(t, call(t, ts, "POST", "/api/edit", map[string]any{"users": 2}, nil), http.StatusConflict, "edit after stop")
	wantStatus(t, call(t, ts, "POST", "/api/reset", nil, nil), http.StatusConflict, "reset after stop")
	if st := getStats(t, ts); st.State != "stopped" || len(st.Stats) != 2 {
		t.Errorf("after stop: state %s, %d rows", st.State, len(st.Stats))
	}

	wantStatus(t, call(t, ts, "POST", "/api/start", map[string]any{"users": 1}, nil), 200, "start after stop")
	if n := fs.count(); n != 2 {
		t.Errorf("%d runs started, want 2", n)
	}
}

func TestStartRequests(t *testing.T) {
	big := `{"profile_yaml": "` + strings.Repeat("x", DefaultMaxBodyBytes) + `"}`
	tests := []struct {
		name    string
		body    string
		header  map[string]string
		starter error
		status  int
		want    *StartRequest
		msg     string
	}{
		{"defaults", `{}`, nil, nil, 200, &testDefaults, ""},
		{"empty body", ``, nil, nil, 200, &testDefaults, ""},
		{"every field", `{"users":0,"spawn_rate":0,"host":"","run_time":"","profile":"smoke"}`, nil, nil, 200,
			&StartRequest{Profile: "smoke"}, ""},
		{"run time in seconds", `{"run_time":90}`, nil, nil, 200,
			&StartRequest{Users: 10, SpawnRate: 2, Host: testDefaults.Host, RunTime: "90", Profile: "albums"}, ""},
		{"yaml", `{"profile_yaml":"tasks: []"}`, nil, nil, 200,
			&StartRequest{Users: 10, SpawnRate: 2, Host: testDefaults.Host, RunTime: "30s", Profile: "albums", ProfileYAML: "tasks: []"}, ""},
		{"negative users", `{"users":-3}`, nil, nil, 400, nil, "users -3"},
		{"negative rate", `{"spawn_rate":-1}`, nil, nil, 400, nil, "spawn_rate"},
		{"a billion users", `{"users":1000000000}`, nil, nil, 400, nil, "users 1000000000 is out of range: want 0 to 10000000"},
		{"a billion users a second", `{"spawn_rate":1e9}`, nil, nil, 400, nil, "spawn_rate 1e+09 is out of range"},
		{"bad run time", `{"run_time":"soon"}`, nil, nil, 400, nil, "run_time"},
		{"bad run time type", `{"run_time":true}`, nil, nil, 400, nil, "run_time"},
		{"bad host", `{"host":"ftp://example.com"}`, nil, nil, 400, nil, "host"},
		{"no profile", `{"profile":""}`, nil, nil, 400, nil, "profile"},
		{"unknown field", `{"userz":3}`, nil, nil, 400, nil, "unknown field"},
		{"wrong type", `{"users":"many"}`, nil, nil, 400, nil, "users"},
		{"malformed", `{"users":`, nil, nil, 400, nil, "request body"},
		{"two values", `{} {}`, nil, nil, 400, nil, "more than one"},
		{"trailing brace", `{}}`, nil, nil, 400, nil, "more than one"},
		{"form post", `users=3`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, nil, 415, nil, "application/json"},
		{"text post", `{}`, map[string]string{"Content-Type": "text/plain"}, nil, 415, nil, "application/json"},
		{"no content type", `{}`, map[string]string{"Content-Type": ""}, nil, 415, nil, "Content-Type"},
		{"too large", big, nil, nil, 413, nil, "over"},
		{"starter refuses", `{}`, nil, BadRequest(errors.New("no such profile")), 400, nil, "no such profile"},
		{"starter fails", `{}`, nil, errBoom, 500, nil, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts, fs := newTestServer(t, Config{})
			fs.err = tt.starter
			r := call(t, ts, "POST", "/api/start", tt.body, tt.header)
			wantStatus(t, r, tt.status, tt.name)
			if tt.want != nil {
				if req, _ := fs.last(); req != *tt.want {
					t.Errorf("starter got %+v, want %+v", req, *tt.want)
				}
				return
			}
			var e apiError
			r.json(t, &e)
			if !strings.Contains(e.Error, tt.msg) {
				t.Errorf("error %q does not mention %q", e.Error, tt.msg)
			}
			if fs.count() != 0 {
				t.Error("a refused request started a run")
			}
		})
	}
}

// TestMethods: state-changing endpoints take POST only, the others GET
// (and HEAD) only.
func TestMethods(t *testing.T) {
	_, ts, _ := newTestServer(t, Config{})
	for _, p := range []string{"/api/start", "/api/stop", "/api/edit", "/api/reset"} {
		for _, m := range []string{"GET", "PUT", "DELETE"} {
			r := call(t, ts, m, p, nil, nil)
			wantStatus(t, r, http.StatusMethodNotAllowed, m+" "+p)
			if r.header.Get("Allow") != "POST" {
				t.Errorf("%s %s: Allow %q", m, p, r.header.Get("Allow"))
			}
		}
	}
	for _, p := range []string{"/api/stats", "/api/workers", "/api/info", "/api/logs", "/api/charts/rps.svg", "/download/stats.csv", "/"} {
		wantStatus(t, call(t, ts, "POST", p, `{}`, nil), http.StatusMethodNotAllowed, "POST "+p)
	}
	if len(getStats(t, ts).Stats) != 0 {
		t.Error("a refused method started something")
	}
}

func TestControlErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
	}{
		{"unsupported", fmt.Errorf("distributed runs: %w", errors.ErrUnsupported), http.StatusNotImplemented},
		{"ended meanwhile", loadgen.ErrEnded, http.StatusConflict},
		{"other", errBoom, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts, fs := newTestServer(t, Config{})
			wantStatus(t, call(t, ts, "POST", "/api/start", `{}`, nil), 200, "start")
			_, run := fs.last()
			run.failControls(tt.err)
			wantStatus(t, call(t, ts, "POST", "/api/edit", `{"users":1}`, nil), tt.status, "edit")
			wantStatus(t, call(t, ts, "POST", "/api/reset", nil, nil), tt.status, "reset")
		})
	}
}

func TestStopAndResetTakeNoFields(t *testing.T) {
	_, ts, _ := newTestServer(t, Config{})
	wantStatus(t, call(t, ts, "POST", "/api/start", `{}`, nil), 200, "start")
	wantStatus(t, call(t, ts, "POST", "/api/reset", `{"all":true}`, nil), 400, "reset with a field")
	wantStatus(t, call(t, ts, "POST", "/api/stop", `{"now":true}`, nil), 400, "stop with a field")
	wantStatus(t, call(t, ts, "POST", "/api/stop", `{}`, nil), 200, "stop with an empty object")
}

func TestServerStartDirect(t *testing.T) {
	s, ts, fs := newTestServer(t, Config{})
	if err := s.Start(StartRequest{Users: -1, Profile: "albums"}); err == nil {
		t.Error("Start took -1 users")
	}
	if err := s.Start(StartRequest{Users: 2, Profile: "albums"}); err != nil {
		t.Fatal(err)
	}
	if req, _ := fs.last(); req.Users != 2 || req.Host != "" {
		t.Errorf("Start ran %+v, want the request as given", req)
	}
	if err := s.Start(StartRequest{Users: 2, Profile: "albums"}); err == nil {
		t.Error("Start during a run passed")
	}
	if getStats(t, ts).State != "running" {
		t.Error("run not shown")
	}
}

// lockedLog is a log sink that run goroutines and handlers share.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestStopFromTheUILogsInOrder: the log says the web UI is stopping the
// run before the run's own "run stopped" line with its counts.
func TestStopFromTheUILogsInOrder(t *testing.T) {
	var logs lockedLog
	_, ts, _ := newTestServer(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	wantStatus(t, call(t, ts, "POST", "/api/start", map[string]any{"users": 3}, nil), 200, "start")
	wantStatus(t, call(t, ts, "POST", "/api/stop", nil, nil), 200, "stop")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `msg="run stopped"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no run stopped line:\n%s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	out := logs.String()
	stopping := strings.Index(out, "stopping the run from the web UI")
	if stopping < 0 || stopping > strings.Index(out, `msg="run stopped"`) {
		t.Errorf("the web UI's stop is not logged before the run's end:\n%s", out)
	}
}
