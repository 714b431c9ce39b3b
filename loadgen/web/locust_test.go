package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// postForm posts a URL-encoded form, as Locust's page and its scripts do.
func postForm(t *testing.T, ts *httptest.Server, path string, form url.Values, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest("POST", ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, ts, req)
}

func do(t *testing.T, ts *httptest.Server, req *http.Request) response {
	t.Helper()
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b.Bytes()}
}

// jsonShape flattens a JSON document to {path: types}, as a Python reader
// types its values: a number with a decimal point or an exponent is a
// float, any other an int.
func jsonShape(t *testing.T, body []byte) map[string]string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	sets := map[string]map[string]bool{}
	var walk func(path string, v any)
	add := func(path, typ string) {
		if sets[path] == nil {
			sets[path] = map[string]bool{}
		}
		sets[path][typ] = true
	}
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			add(path, "object")
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			add(path, "array")
			for _, e := range x {
				walk(path+"[]", e)
			}
		case json.Number:
			if strings.ContainsAny(x.String(), ".eE") {
				add(path, "float")
			} else {
				add(path, "int")
			}
		case string:
			add(path, "str")
		case bool:
			add(path, "bool")
		case nil:
			add(path, "null")
		}
	}
	walk("", v)
	out := map[string]string{}
	for p, s := range sets {
		var types []string
		for typ := range s {
			types = append(types, typ)
		}
		sort.Strings(types)
		out[p] = strings.Join(types, "|")
	}
	return out
}

// wantShape compares a shape with the expected one, path by path.
func wantShape(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s %s: %q, want %q", what, p, got[p], w)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: unexpected key %s (%s)", what, p, got[p])
		}
	}
}

// locustEntryShape is a row of Locust's /stats/requests, of an entry with
// requests (the Aggregated row's method, null before a run, is apart).
var locustEntryShape = map[string]string{
	".stats[]": "object", ".stats[].name": "str", ".stats[].safe_name": "str",
	".stats[].num_requests": "int", ".stats[].num_failures": "int",
	".stats[].avg_response_time": "float", ".stats[].min_response_time": "float",
	".stats[].max_response_time": "float", ".stats[].current_rps": "float",
	".stats[].current_fail_per_sec": "float", ".stats[].median_response_time": "int",
	".stats[].ninetieth_response_time": "int", ".stats[].ninety_ninth_response_time": "int",
	".stats[].avg_content_length": "float",
}

func withShape(base map[string]string, extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// TestLocustStatsRequests: GET /stats/requests has Locust's keys, and
// values of the types Locust's have, before a run and during one.
func TestLocustStatsRequests(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})
	r := call(t, ts, "GET", "/stats/requests", nil, nil)
	wantStatus(t, r, 200, "before a run")
	// Before the first request Locust's rates and percentiles are the
	// integer 0, and its current percentiles null.
	wantShape(t, "before a run", jsonShape(t, r.body), withShape(locustEntryShape, map[string]string{
		"": "object", ".stats": "array", ".stats[].method": "null", ".errors": "array",
		".stats[].min_response_time": "int", ".stats[].current_rps": "int", ".stats[].current_fail_per_sec": "int",
		".stats[].avg_content_length": "int", ".stats[].max_response_time": "float",
		".total_rps": "int", ".fail_ratio": "float", ".state": "str", ".user_count": "int",
		".current_response_time_percentile_95": "null", ".current_response_time_percentile_50": "null",
	}))
	var st locustStats
	r.json(t, &st)
	if st.State != "ready" || len(st.Stats) != 1 || st.Stats[0].Name != "Aggregated" {
		t.Errorf("before a run: %+v", st)
	}

	fs.workers = []results.WorkerStatus{{ID: "w1", State: "running", Users: 5, CPUPercent: 12, RSSBytes: 1 << 20}}
	wantStatus(t, postForm(t, ts, "/swarm", url.Values{"user_count": {"5"}, "spawn_rate": {"5"}}, nil), 200, "swarm")
	r = call(t, ts, "GET", "/stats/requests", nil, nil)
	wantShape(t, "during a run", jsonShape(t, r.body), withShape(locustEntryShape, map[string]string{
		"": "object", ".stats": "array", ".stats[].method": "str", ".errors": "array",
		".errors[]": "object", ".errors[].method": "str", ".errors[].name": "str", ".errors[].error": "str", ".errors[].occurrences": "int",
		".total_rps": "float", ".fail_ratio": "float", ".state": "str", ".user_count": "int",
		".current_response_time_percentile_95": "int", ".current_response_time_percentile_50": "int",
		".workers": "array", ".workers[]": "object", ".workers[].id": "str", ".workers[].state": "str",
		".workers[].user_count": "int", ".workers[].cpu_usage": "float", ".workers[].memory_usage": "int",
	}))
	st = locustStats{}
	r.json(t, &st)
	snap := fs.snap
	if st.State != "running" || st.UserCount != snap.Users || len(st.Stats) != len(snap.Entries)+1 || len(st.Errors) != len(snap.Errors) {
		t.Errorf("during a run: state %s, users %d, %d rows, %d errors", st.State, st.UserCount, len(st.Stats), len(st.Errors))
	}
	var decoded map[string]any
	r.json(t, &decoded)
	total := decoded["stats"].([]any)[len(st.Stats)-1].(map[string]any)
	if total["num_requests"].(float64) != float64(snap.Total.Count()) || total["method"] != "" {
		t.Errorf("Aggregated row %v, want %d requests and an empty method", total, snap.Total.Count())
	}
}

// TestLocustTimes: response times take Locust's types: integers below
// 100 ms, floats from there, and a median kept between the extremes.
func TestLocustTimes(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"}, {1500 * time.Microsecond, "2"}, {2500 * time.Microsecond, "2"}, {99400 * time.Microsecond, "99"},
		{99600 * time.Microsecond, "100.0"}, {1234567 * time.Microsecond, "1235.0"},
	} {
		b, err := json.Marshal(locustTime(tt.d))
		if err != nil || string(b) != tt.want {
			t.Errorf("locustTime(%v) = %s, %v; want %s", tt.d, b, err, tt.want)
		}
	}
}

// TestLocustSwarm: the start form starts a run from its fields over the
// defaults, and during a run it edits the run, as Locust's edit form does.
func TestLocustSwarm(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})
	r := postForm(t, ts, "/swarm", url.Values{"user_count": {"5"}, "spawn_rate": {"2.5"}, "host": {"http://127.0.0.1:2"}, "run_time": {"1m30s"}}, nil)
	wantStatus(t, r, 200, "start")
	wantShape(t, "POST /swarm", jsonShape(t, r.body), map[string]string{"": "object", ".success": "bool", ".message": "str", ".host": "str", ".run_time": "int"})
	var ans swarmAnswer
	r.json(t, &ans)
	if !ans.Success || ans.Message != "Swarming started" || ans.Host != "http://127.0.0.1:2" || ans.RunTime == nil || *ans.RunTime != 90 {
		t.Errorf("answer %s", r.body)
	}
	req, run := fs.last()
	if want := (StartRequest{Users: 5, SpawnRate: 2.5, Host: "http://127.0.0.1:2", RunTime: "1m30s", Profile: testDefaults.Profile}); req != want {
		t.Errorf("started %+v, want %+v", req, want)
	}

	// The edit form: users and spawn rate; what else it sends must match.
	wantStatus(t, postForm(t, ts, "/swarm", url.Values{"user_count": {"8"}, "spawn_rate": {"4"}}, nil), 200, "edit")
	wantStatus(t, postForm(t, ts, "/swarm", url.Values{"user_count": {"9"}, "spawn_rate": {"4"}, "host": {"http://127.0.0.1:2"}, "run_time": {"1m30s"}}, nil), 200, "the start form again")
	for _, f := range []url.Values{{"host": {"http://127.0.0.1:3"}}, {"run_time": {"10s"}}, {"profile": {"other"}}} {
		f.Set("user_count", "3")
		r := postForm(t, ts, "/swarm", f, nil)
		wantStatus(t, r, http.StatusConflict, "edit with "+f.Encode())
		if !strings.Contains(string(r.body), `"success":false`) || !strings.Contains(string(r.body), "GET /stop") {
			t.Errorf("edit with %s: %s", f.Encode(), r.body)
		}
	}
	if edits, _ := run.recorded(); !slices.Equal(edits, [][2]float64{{8, 4}, {9, 4}}) {
		t.Errorf("edits %v, want 8 then 9 users at 4/s", edits)
	}
	if fs.count() != 1 {
		t.Errorf("%d runs started, want 1", fs.count())
	}

	// After a stop, the form starts a new run; empty host and run time
	// fields leave the defaults, as in Locust.
	wantStatus(t, call(t, ts, "GET", "/stop", nil, nil), 200, "stop")
	wantStatus(t, postForm(t, ts, "/swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"1"}, "host": {""}, "run_time": {""}}, nil), 200, "restart")
	if req, _ := fs.last(); req.Host != testDefaults.Host || req.RunTime != testDefaults.RunTime || fs.count() != 2 {
		t.Errorf("restart: %d runs, %+v", fs.count(), req)
	}
}

// TestLocustSwarmRefusals: a form that cannot be run as given is refused
// with success false, a status that says why, and a message naming the
// field; nothing starts.
func TestLocustSwarmRefusals(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{Classes: []string{"Shop", "Admin"}})
	for _, tt := range []struct {
		name   string
		form   string
		ctype  string
		status int
		msg    string
	}{
		{"bad count", "user_count=x", "", 400, "user_count"},
		{"bad rate", "user_count=1&spawn_rate=fast", "", 400, "spawn_rate"},
		{"NaN rate", "user_count=1&spawn_rate=NaN", "", 400, "spawn_rate"},
		{"negative users", "user_count=-1", "", 400, "users"},
		{"bad run time", "user_count=1&run_time=soon", "", 400, "run_time"},
		{"bad host", "user_count=1&host=ftp://x", "", 400, "host"},
		{"unknown field", "user_count=1&colour=red", "", 400, `"colour": unknown`},
		{"twice", "user_count=1&user_count=2", "", 400, "given 2 times"},
		{"shape class", "user_count=1&shape_class=StepShape", "", 400, "stages"},
		{"unknown class", "user_count=1&user_classes=Shop&user_classes=Ghost", "", 400, `"Ghost"`},
		{"some classes", "user_count=1&user_classes=Shop", "", 400, `leaves out class "Admin"`},
		{"JSON", `{"user_count": 1}`, "application/json", 415, "form"},
		{"too large", "user_count=1&host=" + strings.Repeat("x", 2<<20), "", 413, "bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", ts.URL+"/swarm", strings.NewReader(tt.form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			r := do(t, ts, req)
			wantStatus(t, r, tt.status, tt.name)
			var ans struct {
				Success *bool  `json:"success"`
				Message string `json:"message"`
				Host    string `json:"host"`
			}
			r.json(t, &ans)
			if ans.Success == nil || *ans.Success || !strings.Contains(ans.Message, tt.msg) || ans.Host != testDefaults.Host {
				t.Errorf("answer %s, want success false and a message with %q", r.body, tt.msg)
			}
		})
	}
	if fs.count() != 0 {
		t.Errorf("%d runs started by refused forms", fs.count())
	}
	// What the class picker sends when it asks for what loadgen does is
	// accepted: every class, the default shape.
	r := postForm(t, ts, "/swarm", url.Values{"user_count": {"2"}, "spawn_rate": {"1"}, "user_classes": {"Admin", "Shop"}, "shape_class": {"Default"}}, nil)
	wantStatus(t, r, 200, "every class")
}

// TestLocustSwarmMultipart: a multipart form, as a browser may post it.
func TestLocustSwarmMultipart(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("user_count", "3")
	mw.WriteField("spawn_rate", "1")
	mw.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/swarm", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	wantStatus(t, do(t, ts, req), 200, "multipart")
	if req, _ := fs.last(); req.Users != 3 || req.SpawnRate != 1 {
		t.Errorf("started %+v", req)
	}
	// The URL's query is not the form.
	r := postForm(t, ts, "/swarm?colour=red", url.Values{"user_count": {"3"}}, nil)
	wantStatus(t, r, 200, "edit with a query")
}

// TestLocustStopAndReset: GET /stop and GET /stats/reset steer the run
// as the native API does, and answer as Locust's.
func TestLocustStopAndReset(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})
	r := call(t, ts, "GET", "/stop", nil, nil)
	wantStatus(t, r, 200, "stop before a run")
	if string(r.body) != "{\"success\":true,\"message\":\"Test stopped\"}\n" {
		t.Errorf("stop answered %s", r.body)
	}
	r = call(t, ts, "GET", "/stats/reset", nil, nil)
	wantStatus(t, r, 200, "reset before a run")
	wantStatus(t, postForm(t, ts, "/swarm", url.Values{"user_count": {"2"}}, nil), 200, "swarm")
	_, run := fs.last()
	r = call(t, ts, "GET", "/stats/reset", nil, nil)
	wantStatus(t, r, 200, "reset")
	if string(r.body) != "ok" {
		t.Errorf("reset answered %q, want ok", r.body)
	}
	if _, resets := run.recorded(); resets != 1 {
		t.Errorf("%d resets, want 1", resets)
	}
	wantStatus(t, call(t, ts, "GET", "/stop", nil, nil), 200, "stop")
	if run.State() != loadgen.StateStopped {
		t.Errorf("state %s after /stop", run.State())
	}
	// A stopped run keeps its statistics for its reports.
	r = call(t, ts, "GET", "/stats/reset", nil, nil)
	wantStatus(t, r, http.StatusConflict, "reset after the end")
	wantStatus(t, call(t, ts, "GET", "/stop", nil, nil), 200, "stop again")
}

// TestLocustCrossOrigin: the state-changing endpoints refuse what another
// origin's page makes a browser send, GETs included; scripts pass.
func TestLocustCrossOrigin(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})
	host := strings.TrimPrefix(ts.URL, "http://")
	tests := []struct {
		name   string
		header map[string]string
		ok     bool
	}{
		{"other origin", map[string]string{"Origin": "http://evil.example"}, false},
		{"other port", map[string]string{"Origin": "http://127.0.0.1:1"}, false},
		{"null origin", map[string]string{"Origin": "null"}, false},
		{"other referer", map[string]string{"Referer": "http://evil.example/page"}, false},
		{"same origin, other referer", map[string]string{"Origin": "http://" + host, "Referer": "http://evil.example/"}, false},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"same origin", map[string]string{"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}, true},
		{"same referer", map[string]string{"Referer": "http://" + host + "/"}, true},
		{"typed URL", map[string]string{"Sec-Fetch-Site": "none"}, true},
		{"script", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := fs.count()
			r := postForm(t, ts, "/swarm", url.Values{"user_count": {"1"}}, tt.header)
			if !tt.ok {
				wantStatus(t, r, http.StatusForbidden, "swarm")
				if fs.count() != runs || !strings.Contains(string(r.body), "cross-origin") {
					t.Errorf("a refused form started a run, or said %s", r.body)
				}
				for _, p := range []string{"/stop", "/stats/reset"} {
					r := call(t, ts, "GET", p, nil, tt.header)
					wantStatus(t, r, http.StatusForbidden, p)
					if !strings.Contains(string(r.body), "cross-origin request refused") {
						t.Errorf("%s: %s", p, r.body)
					}
				}
				return
			}
			wantStatus(t, r, 200, "swarm")
			wantStatus(t, call(t, ts, "GET", "/stats/reset", nil, tt.header), 200, "reset")
			wantStatus(t, call(t, ts, "GET", "/stop", nil, tt.header), 200, "stop")
		})
	}
	for _, run := range fs.runs {
		if _, resets := run.recorded(); resets > 1 {
			t.Errorf("a run was reset %d times", resets)
		}
	}
	// Reading is not refused: browsers keep other origins from reading
	// the answers anyway.
	wantStatus(t, call(t, ts, "GET", "/stats/requests", nil, map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}), 200, "cross-origin read")
}

// locustPaths are Locust's automation endpoints, in an order that goes
// through a run.
var locustPaths = []string{
	"POST /swarm", "GET /stats/requests", "GET /stats/reset", "GET /stats/requests/csv",
	"GET /stats/failures/csv", "GET /stats/requests_full_history/csv", "GET /exceptions",
	"GET /exceptions/csv", "GET /tasks", "GET /stats/report", "GET /stop",
}

// TestLocustAuth: --web-auth covers Locust's endpoints too.
func TestLocustAuth(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{BasicAuth: "admin:s3cret"})
	for _, ep := range locustPaths {
		method, path, _ := strings.Cut(ep, " ")
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader("user_count=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		wantStatus(t, do(t, ts, req), http.StatusUnauthorized, ep+" without credentials")
		req, _ = http.NewRequest(method, ts.URL+path, strings.NewReader("user_count=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("admin", "wrong")
		wantStatus(t, do(t, ts, req), http.StatusUnauthorized, ep+" with a wrong password")
	}
	if fs.count() != 0 {
		t.Fatal("a run started without credentials")
	}
	for _, ep := range locustPaths {
		method, path, _ := strings.Cut(ep, " ")
		req, _ := http.NewRequest(method, ts.URL+path, strings.NewReader("user_count=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("admin", "s3cret")
		if r := do(t, ts, req); r.status != 200 {
			t.Errorf("%s with credentials: %d %s", ep, r.status, r.body)
		}
	}
}

// TestLocustCSV: the CSV downloads are the files --csv writes, by the
// same writers, as attachments named as Locust names them; before a run,
// of empty statistics.
func TestLocustCSV(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})
	for _, path := range []string{"/stats/requests/csv", "/stats/failures/csv", "/stats/requests_full_history/csv", "/exceptions/csv"} {
		r := call(t, ts, "GET", path, nil, nil)
		wantStatus(t, r, 200, path+" before a run")
		if !bytes.HasPrefix(r.body, []byte("Type,Name,")) && !bytes.HasPrefix(r.body, []byte("Method,")) &&
			!bytes.HasPrefix(r.body, []byte("Timestamp,")) && !bytes.HasPrefix(r.body, []byte("Count,")) {
			t.Errorf("%s before a run: %q", path, r.body)
		}
	}
	wantStatus(t, postForm(t, ts, "/swarm", url.Values{"user_count": {"2"}}, nil), 200, "swarm")
	snap := fs.snap
	for _, tt := range []struct {
		path, prefix string
		write        func(*bytes.Buffer) error
	}{
		{"/stats/requests/csv", "requests_", func(b *bytes.Buffer) error { return report.WriteStatsCSV(b, snap, report.CSVOptions{}) }},
		{"/stats/failures/csv", "failures_", func(b *bytes.Buffer) error { return report.WriteFailuresCSV(b, snap) }},
		{"/stats/requests_full_history/csv", "requests_full_history_", func(b *bytes.Buffer) error { return report.WriteHistoryCSV(b, snap, report.CSVOptions{}) }},
		{"/exceptions/csv", "exceptions_", func(b *bytes.Buffer) error { return report.WriteExceptionsCSV(b, snap) }},
	} {
		r := call(t, ts, "GET", tt.path, nil, nil)
		wantStatus(t, r, 200, tt.path)
		var want bytes.Buffer
		if err := tt.write(&want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.body, want.Bytes()) {
			t.Errorf("%s:\n%s\nwant\n%s", tt.path, r.body, want.Bytes())
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("%s: Content-Type %q", tt.path, ct)
		}
		if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;filename="+tt.prefix) || !strings.HasSuffix(cd, ".csv") {
			t.Errorf("%s: Content-Disposition %q", tt.path, cd)
		}
	}
}

// TestLocustReport: GET /stats/report is the HTML report; ?download=1
// makes it an attachment.
func TestLocustReport(t *testing.T) {
	_, ts, _ := newTestServer(t, Config{})
	wantStatus(t, call(t, ts, "GET", "/stats/report", nil, nil), 404, "report before a run")
	wantStatus(t, postForm(t, ts, "/swarm", url.Values{"user_count": {"2"}}, nil), 200, "swarm")
	r := call(t, ts, "GET", "/stats/report", nil, nil)
	wantStatus(t, r, 200, "report")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !bytes.Contains(r.body, []byte("<html")) || r.header.Get("Content-Disposition") != "" {
		t.Errorf("report: %s, disposition %q, %.100s", r.header.Get("Content-Type"), r.header.Get("Content-Disposition"), r.body)
	}
	r = call(t, ts, "GET", "/stats/report?download=1", nil, nil)
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;filename=report_") {
		t.Errorf("download: Content-Disposition %q", cd)
	}
}

// TestLocustExceptions: GET /exceptions lists the groups of exceptions
// with Locust's keys, escaped as Locust escapes them.
func TestLocustExceptions(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})
	r := call(t, ts, "GET", "/exceptions", nil, nil)
	if string(r.body) != "{\"exceptions\":[]}\n" {
		t.Errorf("before a run: %s", r.body)
	}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	rec := results.NewRecorder([]results.EntryKey{{Method: "GET", Name: "/"}})
	rec.Exception("bad <input>", "goroutine 1:\nmain.task()")
	d := results.NewDelta()
	rec.Drain(d)
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	fs.snap = agg.Snapshot(fixtureStart.Add(time.Second))
	wantStatus(t, postForm(t, ts, "/swarm", url.Values{"user_count": {"2"}}, nil), 200, "swarm")
	r = call(t, ts, "GET", "/exceptions", nil, nil)
	wantShape(t, "/exceptions", jsonShape(t, r.body), map[string]string{
		"": "object", ".exceptions": "array", ".exceptions[]": "object", ".exceptions[].count": "int",
		".exceptions[].msg": "str", ".exceptions[].traceback": "str", ".exceptions[].nodes": "str",
	})
	var out struct{ Exceptions []locustException }
	r.json(t, &out)
	if len(out.Exceptions) != 1 || out.Exceptions[0].Msg != "bad &lt;input&gt;" || out.Exceptions[0].Count != 1 {
		t.Errorf("exceptions %+v", out.Exceptions)
	}
}

// TestLocustTasks: GET /tasks spreads the users over the classes as the
// run does, and each class's share over its tasks by weight.
func TestLocustTasks(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})
	if r := call(t, ts, "GET", "/tasks", nil, nil); string(r.body) != "{\"per_class\":{},\"total\":{}}\n" {
		t.Errorf("before a run: %s", r.body)
	}
	task := func(method, name string, w int) users.Task { return users.Task{Method: method, Name: name, Weight: w} }
	fs.spec = fakeSpec(nil)
	fs.spec.Workload = &loadgen.Workload{Classes: []users.Class{
		{Name: "Shop", Weight: 3, Tasks: []users.Task{task("GET", "/albums", 3), task("POST", "/albums", 1)}},
		{Name: "Admin", Weight: 1, Tasks: []users.Task{task("GET", "/stats", 1), task("GET", "/off", 0)}},
	}}
	wantStatus(t, postForm(t, ts, "/swarm", url.Values{"user_count": {"5"}}, nil), 200, "swarm")
	r := call(t, ts, "GET", "/tasks", nil, nil)
	var got map[string]map[string]struct {
		Ratio float64
		Tasks map[string]struct{ Ratio float64 }
	}
	r.json(t, &got)
	// 5 users at 3:1 are 4 and 1 (fixtureSnapshot ticks with 5 users).
	want := map[string]map[string]float64{
		"per_class": {"Shop": 0.8, "Shop/GET /albums": 0.75, "Shop/POST /albums": 0.25, "Admin": 0.2, "Admin//stats": 1},
		"total":     {"Shop": 0.8, "Shop/GET /albums": 0.6, "Shop/POST /albums": 0.2, "Admin": 0.2, "Admin//stats": 0.2},
	}
	for kind, classes := range got {
		flat := map[string]float64{}
		for c, cr := range classes {
			flat[c] = cr.Ratio
			for name, tr := range cr.Tasks {
				flat[c+"/"+name] = tr.Ratio
			}
		}
		if len(flat) != len(want[kind]) {
			t.Errorf("%s: %v, want %v", kind, flat, want[kind])
		}
		for k, w := range want[kind] {
			if g, ok := flat[k]; !ok || g < w-1e-9 || g > w+1e-9 {
				t.Errorf("%s %s: %v, want %v", kind, k, g, w)
			}
		}
	}
	wantShape(t, "/tasks", jsonShape(t, r.body), map[string]string{
		"": "object", ".per_class": "object", ".total": "object",
		".per_class.Shop": "object", ".per_class.Shop.ratio": "float", ".per_class.Shop.tasks": "object",
		".per_class.Shop.tasks.GET /albums": "object", ".per_class.Shop.tasks.GET /albums.ratio": "float",
		".per_class.Shop.tasks.POST /albums": "object", ".per_class.Shop.tasks.POST /albums.ratio": "float",
		".per_class.Admin": "object", ".per_class.Admin.ratio": "float", ".per_class.Admin.tasks": "object",
		".per_class.Admin.tasks./stats": "object", ".per_class.Admin.tasks./stats.ratio": "float",
		".total.Shop": "object", ".total.Shop.ratio": "float", ".total.Shop.tasks": "object",
		".total.Shop.tasks.GET /albums": "object", ".total.Shop.tasks.GET /albums.ratio": "float",
		".total.Shop.tasks.POST /albums": "object", ".total.Shop.tasks.POST /albums.ratio": "float",
		".total.Admin": "object", ".total.Admin.ratio": "float", ".total.Admin.tasks": "object",
		".total.Admin.tasks./stats": "object", ".total.Admin.tasks./stats.ratio": "float",
	})
}
