package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

func startFake(t *testing.T, cfg Config, prepare func(*fakeStarter)) (*fakeStarter, func(method, path string) response) {
	t.Helper()
	_, ts, fs := newTestServer(t, cfg)
	if prepare != nil {
		prepare(fs)
	}
	wantStatus(t, call(t, ts, "POST", "/api/start", `{}`, nil), 200, "start")
	return fs, func(method, path string) response { return call(t, ts, method, path, nil, nil) }
}

func TestDownloads(t *testing.T) {
	ths := []string{"p99<1s", "fail_ratio<0.0001"}
	fs, get := startFake(t, Config{}, func(fs *fakeStarter) {
		fs.spec = fakeSpec(nil, ths...)
	})
	snap := fs.snap
	files := []struct {
		name, contentType string
		check             func(t *testing.T, body []byte)
	}{
		{"stats.csv", "text/csv", func(t *testing.T, body []byte) {
			rows := readCSV(t, body)
			if len(rows) != 1+len(snap.Entries)+1 || rows[0][0] != "Type" || rows[len(rows)-1][1] != results.AggregatedName {
				t.Errorf("stats.csv rows %q", rows)
			}
			if rows[len(rows)-1][2] != strconv.FormatInt(snap.Total.Count(), 10) {
				t.Errorf("Aggregated count %s, want %d", rows[len(rows)-1][2], snap.Total.Count())
			}
		}},
		{"stats_history.csv", "text/csv", func(t *testing.T, body []byte) {
			// The header, then the t=0 row and a row per second.
			if rows, want := readCSV(t, body), 1+len(report.HistoryRows(snap)); len(rows) != want || rows[0][0] != "Timestamp" || rows[1][1] != "0" {
				t.Errorf("history has %d rows, want %d starting with the t=0 row: %q", len(rows), want, rows)
			}
		}},
		{"failures.csv", "text/csv", func(t *testing.T, body []byte) {
			rows := readCSV(t, body)
			if len(rows) != 1+len(snap.Errors) || rows[0][2] != "Error" || !strings.HasPrefix(rows[1][2], "refused ") {
				t.Errorf("failures rows %q", rows)
			}
		}},
		{"exceptions.csv", "text/csv", func(t *testing.T, body []byte) {
			if rows := readCSV(t, body); len(rows) != 1 || rows[0][0] != "Count" {
				t.Errorf("exceptions rows %q", rows)
			}
		}},
		{"report.json", "application/json", func(t *testing.T, body []byte) {
			rep, err := report.ReadJSON(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Entries) != len(snap.Entries) || rep.Aggregated.Count != snap.Total.Count() || len(rep.Errors) != len(snap.Errors) {
				t.Errorf("report.json has %d entries, %d requests, %d errors", len(rep.Entries), rep.Aggregated.Count, len(rep.Errors))
			}
			if !strings.Contains(string(rep.Config), `"users"`) || !strings.Contains(string(rep.Thresholds), "fail_ratio<0.0001") {
				t.Errorf("report.json config %s, thresholds %s", rep.Config, rep.Thresholds)
			}
		}},
		{"report.html", "text/html", func(t *testing.T, body []byte) {
			s := string(body)
			for _, want := range []string{`id="stats-table"`, `id="percentiles-table"`, `id="failures-table"`, `id="thresholds-table"`, "/albums", "<svg", "http://127.0.0.1:1", "FAIL"} {
				if !strings.Contains(s, want) {
					t.Errorf("report.html lacks %q", want)
				}
			}
		}},
	}
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			r := get("GET", "/download/"+f.name)
			wantStatus(t, r, 200, f.name)
			if ct, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); ct != f.contentType {
				t.Errorf("Content-Type %q, want %s", r.header.Get("Content-Type"), f.contentType)
			}
			disp, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
			want := "loadgen_20240501-120000_" + f.name
			if err != nil || disp != "attachment" || params["filename"] != want {
				t.Errorf("Content-Disposition %q, want attachment as %s", r.header.Get("Content-Disposition"), want)
			}
			if r.header.Get("Content-Length") != strconv.Itoa(len(r.body)) {
				t.Errorf("Content-Length %s for %d bytes", r.header.Get("Content-Length"), len(r.body))
			}
			f.check(t, r.body)
		})
	}
	wantStatus(t, get("GET", "/download/secrets.txt"), 404, "unknown download")
	wantStatus(t, get("GET", "/download/..%2f..%2fetc%2fpasswd"), 404, "path in a download name")
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, b)
	}
	return rows
}

func TestStatsAnswer(t *testing.T) {
	ths := []string{"requests>1", "p50<1us"}
	fs, get := startFake(t, Config{}, func(fs *fakeStarter) {
		fs.snap = fixtureSnapshot(t, maxErrorsShown+7)
		fs.spec = fakeSpec([]loadgen.TaskWeight{{Method: "GET", Name: "/albums", Weight: 3}, {Method: "POST", Name: "/albums", Weight: 1}, {Method: "GET", Name: "/never", Weight: 0}}, ths...)
	})
	snap := fs.snap
	var st Stats
	r := get("GET", "/api/stats")
	wantStatus(t, r, 200, "stats")
	r.json(t, &st)
	if st.State != "running" || st.UserCount != snap.Users || st.Run == nil || st.Run.Profile != "albums" {
		t.Errorf("header fields: %+v", st)
	}
	if len(st.Stats) != len(snap.Entries) {
		t.Fatalf("%d rows, want %d", len(st.Stats), len(snap.Entries))
	}
	for i, e := range snap.Entries {
		got := st.Stats[i]
		if got.Method != e.Method() || got.Name != e.Name() || got.NumRequests != e.Count() || got.NumFailures != e.Failures() {
			t.Errorf("row %d: %+v", i, got)
		}
		if !near(got.P99Ms, ms(e.Percentile(0.99))) || !near(got.MedianMs, ms(e.Median())) || !near(got.MaxMs, ms(e.Max())) || !near(got.Percentiles["100"], ms(e.Max())) {
			t.Errorf("row %d times: %+v", i, got)
		}
	}
	if st.Total.Name != results.AggregatedName || st.Total.NumRequests != snap.Total.Count() || !near(st.FailRatio, snap.Total.FailRatio()) {
		t.Errorf("total %+v, fail ratio %g", st.Total, st.FailRatio)
	}
	if len(st.Errors) != maxErrorsShown || st.ErrorsOmitted != 7 {
		t.Errorf("%d errors shown and %d omitted, want %d and 7", len(st.Errors), st.ErrorsOmitted, maxErrorsShown)
	}
	if len(st.Thresholds) != 2 || !st.Thresholds[0].Pass || st.Thresholds[1].Pass {
		t.Errorf("thresholds %+v, want requests>1 passing and p50<1us failing", st.Thresholds)
	}
	if len(st.Ratio) != 3 {
		t.Fatalf("ratio %+v", st.Ratio)
	}
	get0, _ := snap.Entry(results.EntryKey{Method: "GET", Name: "/albums"})
	if r := st.Ratio[0]; !near(r.WeightShare, 0.75) || r.Requests != get0.Count() || !near(r.RequestShare, float64(get0.Count())/float64(snap.Total.Count())) {
		t.Errorf("ratio of GET /albums %+v", r)
	}
	if r := st.Ratio[2]; r.WeightShare != 0 || r.Requests != 0 || r.RequestShare != 0 {
		t.Errorf("ratio of a task never run %+v", r)
	}
	if st.Pauses != nil {
		t.Errorf("pauses %+v in a run without any", st.Pauses)
	}
}

// TestStatsAnswerHasThePauses: the generator's pauses are in the answer
// once there are some.
func TestStatsAnswerHasThePauses(t *testing.T) {
	_, get := startFake(t, Config{}, func(fs *fakeStarter) {
		fs.snap = fixtureSnapshot(t, 0)
		fs.snap.Pauses = results.PauseStats{Count: 2, Total: 113 * time.Millisecond, Max: 101 * time.Millisecond}
	})
	var st Stats
	r := get("GET", "/api/stats")
	wantStatus(t, r, 200, "stats")
	r.json(t, &st)
	if p := st.Pauses; p == nil || p.Count != 2 || !near(p.MaxMs, 101) || !near(p.TotalMs, 113) {
		t.Errorf("generator_pauses %+v, want 2, the longest 101 ms, 113 ms in all", p)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestWorkersAnswer(t *testing.T) {
	_, get := startFake(t, Config{}, nil)
	var ws Workers
	r := get("GET", "/api/workers")
	wantStatus(t, r, 200, "workers")
	r.json(t, &ws)
	if ws.Workers == nil || len(ws.Workers) != 0 {
		t.Errorf("a run in this process lists workers %+v, want []", ws.Workers)
	}

	rows := []results.WorkerStatus{{ID: "w1", State: "running", Users: 5, Target: 5, LastHeartbeat: fixtureStart}}
	_, get = startFake(t, Config{}, func(fs *fakeStarter) { fs.workers = rows })
	r = get("GET", "/api/workers")
	r.json(t, &ws)
	if len(ws.Workers) != 1 || ws.Workers[0].ID != "w1" || !ws.Workers[0].LastHeartbeat.Equal(fixtureStart) {
		t.Errorf("workers %+v", ws.Workers)
	}
}

func TestCharts(t *testing.T) {
	_, ts, _ := newTestServer(t, Config{})
	for _, name := range []string{"rps", "latency", "latency-cumulative", "users", "latency-entries"} {
		r := call(t, ts, "GET", "/api/charts/"+name+".svg", nil, nil)
		wantStatus(t, r, 200, name+" before a run")
		if !strings.Contains(string(r.body), "no data yet") {
			t.Errorf("%s before a run is not an empty chart", name)
		}
	}
	wantStatus(t, call(t, ts, "POST", "/api/start", `{}`, nil), 200, "start")
	titles := map[string]string{"rps": "Requests per second", "latency": "Response times (last 10s)",
		"latency-cumulative": "Response times (cumulative)", "users": "Users"}
	for name, title := range titles {
		r := call(t, ts, "GET", "/api/charts/"+name+".svg", nil, nil)
		wantStatus(t, r, 200, name)
		if r.header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("%s: Content-Type %q", name, r.header.Get("Content-Type"))
		}
		body := string(r.body)
		if !strings.Contains(body, "<svg") || !strings.Contains(body, title) || strings.Contains(body, "no data yet") {
			t.Errorf("%s: not a chart of the run", name)
		}
		again := call(t, ts, "GET", "/api/charts/"+name+".svg", nil, nil)
		if !bytes.Equal(again.body, r.body) {
			t.Errorf("%s drawn differently from the same snapshot", name)
		}
	}
	for _, bad := range []string{"pie.svg", "rps.png", "rps"} {
		wantStatus(t, call(t, ts, "GET", "/api/charts/"+bad, nil, nil), 404, bad)
	}
}

func TestLogRing(t *testing.T) {
	ring := NewLogRing(3, slog.LevelInfo)
	log := slog.New(ring.Handler()).With("component", "test")
	log.Debug("hidden")
	for i := range 5 {
		log.Info("line", "n", i, "text", "a <b>")
	}
	lines := ring.Lines(0)
	if len(lines) != 3 {
		t.Fatalf("%d lines kept, want 3: %+v", len(lines), lines)
	}
	for i, l := range lines {
		if l.Seq != uint64(3+i) || !strings.Contains(l.Text, fmt.Sprintf("n=%d", 2+i)) || !strings.Contains(l.Text, "component=test") || strings.HasSuffix(l.Text, "\n") {
			t.Errorf("line %d: %+v", i, l)
		}
	}
	if got := ring.Lines(4); len(got) != 1 || got[0].Seq != 5 {
		t.Errorf("lines after 4: %+v", got)
	}
	if got := NewLogRing(0, nil).Lines(0); len(got) != 0 {
		t.Errorf("empty ring has %v", got)
	}

	_, ts, _ := newTestServer(t, Config{Logs: ring, Logger: slog.New(ring.Handler())})
	wantStatus(t, call(t, ts, "POST", "/api/start", `{}`, nil), 200, "start")
	var lg Logs
	r := call(t, ts, "GET", "/api/logs?after=5", nil, nil)
	wantStatus(t, r, 200, "logs")
	r.json(t, &lg)
	if len(lg.Lines) != 1 || !strings.Contains(lg.Lines[0].Text, "run started") {
		t.Errorf("logs after the start: %+v", lg.Lines)
	}
	wantStatus(t, call(t, ts, "GET", "/api/logs?after=x", nil, nil), 400, "bad after")
	_, plain, _ := newTestServer(t, Config{})
	r = call(t, plain, "GET", "/api/logs", nil, nil)
	r.json(t, &lg)
	if lg.Lines == nil || len(lg.Lines) != 0 {
		t.Errorf("logs without a ring: %+v", lg.Lines)
	}
}

func TestPageAndInfo(t *testing.T) {
	_, ts, _ := newTestServer(t, Config{Version: "v9.9", Profiles: []string{"albums", "mine"}})
	r := call(t, ts, "GET", "/", nil, nil)
	wantStatus(t, r, 200, "index")
	page := string(r.body)
	for _, want := range []string{`id="stats-table"`, `id="start-form"`, `src="static/app.js"`, `href="static/style.css"`, `href="download/stats.csv"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Offline: nothing from elsewhere.
	for _, bad := range []string{"http://", "https://", "//cdn"} {
		if strings.Contains(page, bad) {
			t.Errorf("page refers to %s", bad)
		}
	}
	for path, ct := range map[string]string{"/static/app.js": "text/javascript", "/static/style.css": "text/css"} {
		r := call(t, ts, "GET", path, nil, nil)
		wantStatus(t, r, 200, path)
		if got, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); got != ct {
			t.Errorf("%s: Content-Type %q", path, r.header.Get("Content-Type"))
		}
		if bytes.Contains(r.body, []byte("http://")) || bytes.Contains(r.body, []byte("https://")) {
			t.Errorf("%s refers outside", path)
		}
	}
	wantStatus(t, call(t, ts, "GET", "/static/", nil, nil), 404, "directory listing")
	wantStatus(t, call(t, ts, "GET", "/static/nothing.js", nil, nil), 404, "missing file")
	wantStatus(t, call(t, ts, "GET", "/nothing", nil, nil), 404, "unknown page")

	var in info
	r = call(t, ts, "GET", "/api/info", nil, nil)
	r.json(t, &in)
	if in.Version != "v9.9" || in.Defaults != testDefaults || len(in.Profiles) != 2 || in.Profiles[1] != "mine" {
		t.Errorf("info %+v", in)
	}
}

// TestLocalRun drives a real run in this process through the API, against the album
// service: the adapter, edits and resets for real.
func TestLocalRun(t *testing.T) {
	albums := startAlbums(t)
	_, ts, _ := newTestServer(t, Config{Start: localStarter(albums), Defaults: StartRequest{Users: 2, SpawnRate: 0, Profile: "albums"}})
	wantStatus(t, call(t, ts, "POST", "/api/start", `{"profile":"nope"}`, nil), 400, "unknown profile")
	wantStatus(t, call(t, ts, "POST", "/api/start", `{"profile_yaml":"tasks: [}"}`, nil), 400, "bad YAML")
	wantStatus(t, call(t, ts, "POST", "/api/start", `{}`, nil), 200, "start")
	waitFor(t, "requests and 2 users", func() bool {
		st := getStats(t, ts)
		return st.Total.NumRequests > 20 && st.UserCount == 2 && st.State == "running"
	})
	wantStatus(t, call(t, ts, "POST", "/api/edit", `{"users":4,"spawn_rate":100}`, nil), 200, "edit")
	waitFor(t, "4 users", func() bool { return getStats(t, ts).UserCount == 4 })
	before := getStats(t, ts)
	wantStatus(t, call(t, ts, "POST", "/api/reset", nil, nil), 200, "reset")
	after := getStats(t, ts)
	if !after.Start.After(before.Start) {
		t.Errorf("reset kept the start %v", after.Start)
	}
	if st := getStats(t, ts); len(st.Ratio) == 0 || st.Ratio[0].Weight == 0 {
		t.Errorf("ratio %+v", st.Ratio)
	}
	wantStatus(t, call(t, ts, "POST", "/api/stop", nil, nil), 200, "stop")
	st := getStats(t, ts)
	if st.State != "stopped" || st.Error != "" {
		t.Errorf("after stop: %s %q", st.State, st.Error)
	}
	r := call(t, ts, "GET", "/download/stats.csv", nil, nil)
	wantStatus(t, r, 200, "stats.csv")
	if rows := readCSV(t, r.body); len(rows) < 3 {
		t.Errorf("stats.csv %q", rows)
	}
	// A run with a run time ends on its own.
	wantStatus(t, call(t, ts, "POST", "/api/start", `{"run_time":"300ms"}`, nil), 200, "timed start")
	waitFor(t, "the timed run to stop", func() bool { return getStats(t, ts).State == "stopped" })
}

// TestMetricsOnTheUIsPort: the UI serves the current run's Prometheus
// metrics at /metrics, behind its own credentials.
func TestMetricsOnTheUIsPort(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{Token: "s3cret"})
	auth := map[string]string{"Authorization": "Bearer s3cret"}
	r := call(t, ts, "GET", "/metrics", nil, auth)
	wantStatus(t, r, 200, "metrics before a run")
	if strings.Contains(string(r.body), "loadgen_requests_total") {
		t.Error("request counts before any run")
	}
	wantStatus(t, call(t, ts, "GET", "/metrics", nil, nil), 401, "metrics without the token")
	wantStatus(t, call(t, ts, "POST", "/api/start", `{}`, auth), 200, "start")
	r = call(t, ts, "GET", "/metrics", nil, auth)
	wantStatus(t, r, 200, "metrics")
	for _, e := range fs.snap.Entries {
		want := fmt.Sprintf("loadgen_requests_total{method=%q,name=%q} %d", e.Method(), e.Name(), e.Count())
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %q:\n%.2000s", want, r.body)
		}
	}
	if !strings.Contains(string(r.body), `loadgen_window_response_time_seconds{method="",name="Aggregated",quantile="0.99"}`) {
		t.Error("metrics lack the Aggregated window p99")
	}
}
