package saved

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/threshold"
)

var start = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

var keys = []results.EntryKey{
	{Method: "GET", Name: "/albums"},
	{Method: "POST", Name: "/albums"},
	{Method: "GET", Name: "/albums/{id}"},
}

// run is a deterministic synthetic run: its aggregators see the same
// requests, split between them by split (one aggregator: the whole run).
type run struct {
	seconds int
	paced   bool // GET /albums/{id} is paced: it has a corrected series
	open    bool // every entry has a service-time series
	seed    uint64
	from    time.Time
}

func (r run) snapshots(t *testing.T, parts int, opts results.AggregatorOptions) []*results.Snapshot {
	t.Helper()
	from := r.from
	if from.IsZero() {
		from = start
	}
	rng := rand.New(rand.NewPCG(r.seed, 99))
	aggs := make([]*results.Aggregator, parts)
	recs := make([]*results.Recorder, parts)
	for i := range aggs {
		aggs[i] = results.NewAggregator(from, opts)
		recs[i] = results.NewRecorder(keys)
	}
	d := results.NewDelta()
	for sec := 1; sec <= r.seconds; sec++ {
		for i := range 200 + rng.IntN(200) {
			p := i % parts
			e := rng.IntN(len(keys))
			lat := time.Duration(300+rng.IntN(8000*(e+1))) * time.Microsecond
			o := results.Observation{Latency: lat, Bytes: int64(100 + rng.IntN(900))}
			if rng.IntN(50) == 0 {
				o.Err = []string{"HTTP 503 Service Unavailable", "timeout"}[rng.IntN(2)]
				// In request order, as a run's clock gives them.
				o.At = from.Add(time.Duration(sec-1)*time.Second + time.Duration(i)*time.Millisecond)
			}
			if r.paced && e == 2 {
				o.ExpectedInterval = 2 * time.Millisecond
			}
			if r.open {
				o.Service = lat / 2
			}
			recs[p].Observe(e, o)
		}
		now := from.Add(time.Duration(sec) * time.Second)
		for i := range aggs {
			d.Reset()
			recs[i].Drain(d)
			if err := aggs[i].Add(d); err != nil {
				t.Fatal(err)
			}
			aggs[i].Tick(now, 10*(i+1))
		}
	}
	out := make([]*results.Snapshot, parts)
	for i := range aggs {
		out[i] = aggs[i].Snapshot(from.Add(time.Duration(r.seconds) * time.Second))
	}
	return out
}

// writeResult writes a snapshot's JSON to dir/name and reads it back.
func writeResult(t *testing.T, dir, name string, s *results.Snapshot, o report.JSONOptions) *Result {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := report.WriteFileAtomic(path, func(w io.Writer) error { return report.WriteJSON(w, s, o) }); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportRendersTheRunsFilesAgain(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		run  run
		full bool
	}{
		{"closed", run{seconds: 14, paced: true, seed: 1}, true},
		{"open", run{seconds: 6, open: true, seed: 2}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := tc.run.snapshots(t, 1, results.AggregatorOptions{EntryHistory: tc.full, Window: 4 * time.Second})[0]
			ths, _ := threshold.EvaluateAll(parseAll(t, "p99<250ms", `p95{name="/albums"}<1ms`, "rps>10"), snap)
			workers := []results.WorkerStatus{{ID: "w1", Host: "h", State: "stopped", Users: 5, Target: 5, Requests: 10, RPS: 3.5, LastHeartbeat: start.Add(time.Second)}}
			html := report.HTMLOptions{
				Title: "loadgen report: albums", Config: []report.ConfigItem{{Key: "Users", Value: "50"}},
				Warnings: []string{"worker 2 lost"}, Thresholds: ths, Workers: workers,
			}
			jo := report.JSONOptions{
				Config: map[string]any{"users": 50}, Warnings: html.Warnings, Thresholds: ths, Workers: workers,
				FullHistory: tc.full, Title: html.Title, ConfigItems: html.Config,
			}
			var origJSON, origHTML bytes.Buffer
			if err := report.WriteJSON(&origJSON, snap, jo); err != nil {
				t.Fatal(err)
			}
			if err := report.WriteHTML(&origHTML, snap, html); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.name+".json")
			if err := os.WriteFile(path, origJSON.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if r.FullHistory() != tc.full {
				t.Errorf("FullHistory() = %v, want %v", r.FullHistory(), tc.full)
			}
			var again bytes.Buffer
			if err := r.WriteJSON(&again); err != nil {
				t.Fatal(err)
			}
			same(t, "JSON", again.Bytes(), origJSON.Bytes())

			ho, err := r.HTMLOptions()
			if err != nil {
				t.Fatal(err)
			}
			var htmlAgain bytes.Buffer
			if err := report.WriteHTML(&htmlAgain, r.Snapshot, ho); err != nil {
				t.Fatal(err)
			}
			same(t, "HTML", htmlAgain.Bytes(), origHTML.Bytes())

			for _, precise := range []bool{false, true} {
				o := report.CSVOptions{FullHistory: tc.full, Precise: precise}
				for _, w := range []struct {
					name  string
					write func(*bytes.Buffer, *results.Snapshot) error
				}{
					{"stats", func(b *bytes.Buffer, s *results.Snapshot) error { return report.WriteStatsCSV(b, s, o) }},
					{"history", func(b *bytes.Buffer, s *results.Snapshot) error { return report.WriteHistoryCSV(b, s, o) }},
					{"failures", func(b *bytes.Buffer, s *results.Snapshot) error { return report.WriteFailuresCSV(b, s) }},
				} {
					var want, got bytes.Buffer
					if err := w.write(&want, snap); err != nil {
						t.Fatal(err)
					}
					if err := w.write(&got, r.Snapshot); err != nil {
						t.Fatal(err)
					}
					same(t, w.name+" CSV", got.Bytes(), want.Bytes())
				}
			}
			var con1, con2 bytes.Buffer
			report.WriteSummary(&con1, snap)
			report.WriteSummary(&con2, r.Snapshot)
			same(t, "console summary", con2.Bytes(), con1.Bytes())
		})
	}
}

func parseAll(t *testing.T, exprs ...string) []*threshold.Threshold {
	t.Helper()
	var ts []*threshold.Threshold
	for _, e := range exprs {
		th, err := threshold.Parse(e)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, th)
	}
	return ts
}

func same(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			t.Errorf("%s rendered again differs at line %d:\n got %.300s\nwant %.300s", what, i+1, g[i], w[i])
			return
		}
	}
	t.Errorf("%s rendered again has %d lines, the original %d", what, len(g), len(w))
}

func TestMergeOfTwoHalvesIsTheRunOverBoth(t *testing.T) {
	dir := t.TempDir()
	r := run{seconds: 12, paced: true, seed: 3}
	opts := results.AggregatorOptions{EntryHistory: true}
	halves := r.snapshots(t, 2, opts)
	whole := r.snapshots(t, 1, opts)[0]
	ths := parseAll(t, "p99<5ms", "rps>100")
	var srcs []*Result
	for i, h := range halves {
		rs, _ := threshold.EvaluateAll(ths, h)
		srcs = append(srcs, writeResult(t, dir, []string{"a.json", "b.json"}[i], h, report.JSONOptions{FullHistory: true, Thresholds: rs}))
	}
	merged, err := Merge(srcs)
	if err != nil {
		t.Fatal(err)
	}
	want, err := report.NewReport(whole, report.JSONOptions{FullHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	got := merged.Report
	if len(got.Entries) != len(want.Entries) {
		t.Fatalf("%d entries, want %d", len(got.Entries), len(want.Entries))
	}
	for i := range want.Entries {
		sameEntry(t, got.Entries[i], want.Entries[i])
	}
	sameEntry(t, got.Aggregated, want.Aggregated)
	if !jsonEqual(got.Errors, want.Errors) {
		t.Errorf("errors\n%s\nwant\n%s", js(got.Errors), js(want.Errors))
	}
	if got.Users != want.Users*3 || !got.Start.Equal(want.Start) || !got.End.Equal(want.End) {
		t.Errorf("users %d from %v to %v; want %d (10+20) from %v to %v", got.Users, got.Start, got.End, want.Users*3, want.Start, want.End)
	}
	if len(got.Sources) != 2 || got.Sources[0].Name != srcs[0].Name || got.Sources[1].Requests != halves[1].Total.Count() {
		t.Errorf("sources %+v", got.Sources)
	}
	// History: the same counts and rates, second by second, and no
	// percentiles, which rows cannot give.
	if len(got.History) != len(want.History) {
		t.Fatalf("%d history rows, want %d", len(got.History), len(want.History))
	}
	for i := range want.History {
		g, w := got.History[i], want.History[i]
		if !g.Time.Equal(w.Time) || g.Users != w.Users*3 || g.Aggregated.Count != w.Aggregated.Count ||
			g.Aggregated.Failures != w.Aggregated.Failures || !near(g.Aggregated.RPS, w.Aggregated.RPS) ||
			g.Aggregated.MaxMs != w.Aggregated.MaxMs || !near(g.Aggregated.AvgMs, w.Aggregated.AvgMs) ||
			g.Aggregated.WindowCount != w.Aggregated.WindowCount || g.Aggregated.Percentiles != nil {
			t.Fatalf("history row %d:\n%s\nwant (but no percentiles)\n%s", i, js(g), js(w))
		}
		if len(g.Entries) != len(w.Entries) {
			t.Fatalf("history row %d: %d entry points, want %d", i, len(g.Entries), len(w.Entries))
		}
	}
	// The thresholds are evaluated on the merged result.
	var rs []threshold.Result
	if err := json.Unmarshal(got.Thresholds, &rs); err != nil || len(rs) != 2 {
		t.Fatalf("thresholds %s: %v", got.Thresholds, err)
	}
	wantRs, _ := threshold.EvaluateAll(ths, whole)
	for i := range rs {
		if rs[i].Measured != wantRs[i].Measured && rs[i].Metric != "rps" || rs[i].Pass != wantRs[i].Pass {
			t.Errorf("threshold %s: measured %s (%v), on the whole run %s (%v)", rs[i].Threshold, rs[i].Measured, rs[i].Pass, wantRs[i].Measured, wantRs[i].Pass)
		}
	}
	// And the merged result is itself a result that reads back.
	var b bytes.Buffer
	if err := merged.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	back, err := Read("merged.json", &b)
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	ho, _ := back.HTMLOptions()
	if err := report.WriteHTML(&html, back.Snapshot, ho); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"a.json", "b.json", "loadgen: merge of 2 results"} {
		if !strings.Contains(html.String(), s) {
			t.Errorf("the merged HTML report does not name %q", s)
		}
	}
}

func sameEntry(t *testing.T, got, want report.Entry) {
	t.Helper()
	g, w := got, want
	if !near(g.RPS, w.RPS) || !near(g.FailPerS, w.FailPerS) || !near(g.CurrentRPS, w.CurrentRPS) || !near(g.CurrentFailPerS, w.CurrentFailPerS) {
		t.Errorf("%s %s: rates %v %v %v %v, want %v %v %v %v", w.Method, w.Name, g.RPS, g.FailPerS, g.CurrentRPS, g.CurrentFailPerS, w.RPS, w.FailPerS, w.CurrentRPS, w.CurrentFailPerS)
	}
	g.RPS, g.FailPerS, g.CurrentRPS, g.CurrentFailPerS = w.RPS, w.FailPerS, w.CurrentRPS, w.CurrentFailPerS
	if !near(g.AvgMs, w.AvgMs) {
		t.Errorf("%s %s: avg %v, want %v", w.Method, w.Name, g.AvgMs, w.AvgMs)
	}
	g.AvgMs = w.AvgMs
	if !near(g.AvgBytes, w.AvgBytes) {
		t.Errorf("%s %s: avg bytes %v, want %v", w.Method, w.Name, g.AvgBytes, w.AvgBytes)
	}
	g.AvgBytes = w.AvgBytes
	// Everything else, the histograms and every percentile included, is
	// equal to the last bit.
	if !jsonEqual(g, w) {
		t.Errorf("%s %s merged:\n%s\nwant\n%s", w.Method, w.Name, js(g), js(w))
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func jsonEqual(a, b any) bool { return js(a) == js(b) }

func TestMergeRefusesWhatCannotBeMerged(t *testing.T) {
	dir := t.TempDir()
	opts := results.AggregatorOptions{}
	closed := writeResult(t, dir, "closed.json", run{seconds: 3, seed: 4}.snapshots(t, 1, opts)[0], report.JSONOptions{})
	paced := writeResult(t, dir, "paced.json", run{seconds: 3, seed: 5, paced: true}.snapshots(t, 1, opts)[0], report.JSONOptions{})
	open := writeResult(t, dir, "open.json", run{seconds: 3, seed: 6, open: true}.snapshots(t, 1, opts)[0], report.JSONOptions{})
	later := writeResult(t, dir, "later.json", run{seconds: 3, seed: 7, from: start.Add(time.Hour)}.snapshots(t, 1, opts)[0], report.JSONOptions{})
	for _, tc := range []struct {
		rs   []*Result
		want []string
	}{
		{[]*Result{closed}, []string{"at least two"}},
		{[]*Result{closed, later}, []string{"closed.json", "later.json", "did not run at the same time"}},
		{[]*Result{closed, open}, []string{"open.json", "closed.json", "open-model", "closed-model"}},
		{[]*Result{paced, closed}, []string{"GET /albums/{id}", "paced.json", "closed.json", "corrected"}},
	} {
		_, err := Merge(tc.rs)
		if err == nil {
			t.Errorf("merging %d results: no error", len(tc.rs))
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	}
	// A result of another schema version is refused when read, naming the
	// file.
	var b bytes.Buffer
	if err := closed.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(b.String(), `"version": 1`, `"version": 2`, 1)
	if _, err := Read("v2.json", strings.NewReader(v2)); err == nil || !strings.Contains(err.Error(), "v2.json") || !strings.Contains(err.Error(), "version 2") {
		t.Errorf("reading a version 2 result: %v", err)
	}
}
