package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/chart"
	"github.com/loadgen/loadgen/results/threshold"
)

// fixtureHTMLOptions fills every optional section of the report.
func fixtureHTMLOptions(t *testing.T, s *results.Snapshot) HTMLOptions {
	t.Helper()
	ts, err := threshold.ParseAll([]string{"p99<250ms", `fail_ratio<0.1%`, `p95{name="/nothing"}<10ms`})
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := threshold.EvaluateAll(ts, s)
	var scaling bytes.Buffer
	err = chart.Throughput(&scaling, chart.SVG, chart.ScalingData{
		Dimension: "workers", Ideal: 1000,
		Steps: []chart.Step{{N: 1, X: 1000}, {N: 2, X: 1900}, {N: 4, X: 3400}},
	}, chart.Options{Width: 400, Height: 250})
	if err != nil {
		t.Fatal(err)
	}
	return HTMLOptions{
		Title: "Albums nightly",
		Config: []ConfigItem{
			{"host", "http://127.0.0.1:8080"}, {"profile", "albums"}, {"users", "30"}, {"spawn rate", "10/s"},
		},
		Warnings:   []string{"worker w2 went missing at 0:03"},
		Thresholds: rs,
		Workers: []results.WorkerStatus{
			{ID: "w1", Host: "node-a", State: "stopped", Users: 15, Target: 15, Requests: 400, Failures: 3, RPS: 80, CPUPercent: 42, RSSBytes: 30 << 20, LastHeartbeat: fixtureStart.Add(4500 * time.Millisecond)},
			{ID: "w2", Host: "node-b", State: "missing", Users: 15, Target: 0, Requests: 200, RPS: 0, Error: "no heartbeat for 3s", LastHeartbeat: fixtureStart.Add(2 * time.Second)},
		},
		ScalingSVG: scaling.Bytes(),
	}
}

var (
	svgElement = regexp.MustCompile(`(?s)<svg.*?</svg>`)
	svgDataURI = regexp.MustCompile(`data:image/svg\+xml;base64,[A-Za-z0-9+/=]+`)
)

// TestHTMLGolden pins the report's markup. Charts are the chart package's
// to pin (its own golden files); here they are replaced by placeholders,
// and TestHTMLStructure checks that they are there.
func TestHTMLGolden(t *testing.T) {
	s := fixtureSnapshot(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, s, fixtureHTMLOptions(t, s)); err != nil {
		t.Fatal(err)
	}
	got := svgElement.ReplaceAll(b.Bytes(), []byte("<svg><!-- chart --></svg>"))
	got = svgDataURI.ReplaceAll(got, []byte("data:image/svg+xml;base64,CHART"))
	golden(t, "report.html", got)
}

func TestHTMLStructure(t *testing.T) {
	s := fixtureSnapshot(t)
	opts := fixtureHTMLOptions(t, s)
	var b bytes.Buffer
	if err := WriteHTML(&b, s, opts); err != nil {
		t.Fatal(err)
	}
	doc := parseXML(t, b.Bytes())

	if got := strings.TrimSpace(doc.tag("title")[0].textContent()); got != "Albums nightly" {
		t.Errorf("title %q", got)
	}
	cfg := doc.byID(t, "config").rows("tbody")
	if len(cfg) != len(opts.Config) {
		t.Fatalf("%d configuration rows, want %d", len(cfg), len(opts.Config))
	}
	for i, c := range opts.Config {
		if cfg[i][0] != c.Key || cfg[i][1] != c.Value {
			t.Errorf("configuration row %d is %q, want %s=%s", i, cfg[i], c.Key, c.Value)
		}
	}

	stats := doc.byID(t, "stats-table")
	head := stats.rows("thead")[0]
	if head[0] != "Type" || head[1] != "Name" || head[2] != "# Requests" || head[3] != "# Fails" {
		t.Errorf("stats header %q", head)
	}
	body := stats.rows("tbody")
	if len(body) != len(s.Entries) {
		t.Fatalf("%d stats rows, want %d", len(body), len(s.Entries))
	}
	for i, e := range s.Entries {
		r := body[i]
		if r[0] != e.Method() || r[1] != e.Name() || r[2] != strconv.FormatInt(e.Count(), 10) || r[3] != strconv.FormatInt(e.Failures(), 10) || r[4] != Millis(e.Median()) {
			t.Errorf("stats row %d = %q, want %s %s count %d fails %d median %s", i, r, e.Method(), e.Name(), e.Count(), e.Failures(), Millis(e.Median()))
		}
	}
	total := stats.rows("tfoot")
	if len(total) != 1 || total[0][1] != results.AggregatedName || total[0][2] != strconv.FormatInt(s.Total.Count(), 10) {
		t.Errorf("stats total %q, want Aggregated with %d requests", total, s.Total.Count())
	}

	pct := doc.byID(t, "percentiles-table")
	if got := pct.rows("thead")[0]; len(got) != 2+results.NumReportedPercentiles || got[2] != "50%" || got[len(got)-1] != "100%" {
		t.Errorf("percentile header %q", got)
	}
	prow := pct.rows("tfoot")[0]
	if prow[len(prow)-1] != Millis(s.Total.Max()) {
		t.Errorf("Aggregated 100%% is %s, want the maximum %s", prow[len(prow)-1], Millis(s.Total.Max()))
	}

	th := doc.byID(t, "thresholds-table").rows("tbody")
	if len(th) != len(opts.Thresholds) {
		t.Fatalf("%d threshold rows, want %d", len(th), len(opts.Thresholds))
	}
	for i, r := range opts.Thresholds {
		want := "FAIL"
		if r.Pass {
			want = "PASS"
		}
		if th[i][0] != want || th[i][1] != r.Threshold.String() {
			t.Errorf("threshold row %d = %q, want %s %s", i, th[i], want, r.Threshold)
		}
	}
	if !strings.Contains(doc.byID(t, "thresholds").textContent(), fmt.Sprintf("%d of 3 passed", countPass(opts.Thresholds))) {
		t.Error("threshold heading lacks the pass count")
	}

	charts := doc.byID(t, "charts").tag("svg")
	if len(charts) != len(RunCharts()) {
		t.Fatalf("%d charts, want %d", len(charts), len(RunCharts()))
	}
	for i, c := range RunCharts() {
		if !strings.Contains(charts[i].textContent(), c.TitleFor(s)) {
			t.Errorf("chart %d does not draw %q", i, c.TitleFor(s))
		}
	}

	fails := doc.byID(t, "failures-table").rows("tbody")
	if len(fails) != len(s.Errors) {
		t.Fatalf("%d failure rows, want %d", len(fails), len(s.Errors))
	}
	for i, e := range s.Errors {
		if fails[i][2] != e.Error || fails[i][3] != strconv.FormatInt(e.Count, 10) {
			t.Errorf("failure row %d = %q, want %q x%d", i, fails[i], e.Error, e.Count)
		}
	}

	workers := doc.byID(t, "workers-table").rows("tbody")
	if len(workers) != 2 || workers[0][0] != "w1" || workers[1][2] != "missing (no heartbeat for 3s)" || workers[0][8] != "30.0 MB" {
		t.Errorf("worker rows %q", workers)
	}
	imgs := doc.byID(t, "scaling").tag("img")
	if len(imgs) != 1 || !strings.HasPrefix(imgs[0].attrs["src"], "data:image/svg+xml;base64,") {
		t.Errorf("scaling chart %v, want one data: image", imgs)
	}
	if w := doc.byID(t, "warnings").textContent(); !strings.Contains(w, "worker w2 went missing") {
		t.Errorf("warnings %q", w)
	}
}

func countPass(rs []threshold.Result) int {
	n := 0
	for _, r := range rs {
		if r.Pass {
			n++
		}
	}
	return n
}

// TestHTMLSelfContained checks that the report needs nothing but itself:
// no script, no stylesheet or image fetched from anywhere.
func TestHTMLSelfContained(t *testing.T) {
	s := fixtureSnapshot(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, s, fixtureHTMLOptions(t, s)); err != nil {
		t.Fatal(err)
	}
	doc := parseXML(t, b.Bytes())
	if n := len(doc.tag("script")) + len(doc.tag("link")) + len(doc.tag("iframe")) + len(doc.tag("object")); n != 0 {
		t.Errorf("%d script, link, iframe or object elements", n)
	}
	for _, n := range doc.all(func(*xnode) bool { return true }) {
		for _, a := range []string{"src", "href"} {
			v, ok := n.attrs[a]
			if ok && !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "data:") {
				t.Errorf("<%s %s=%q> refers outside the file", n.name, a, v)
			}
		}
	}
	if bytes.Contains(b.Bytes(), []byte("@import")) || bytes.Contains(b.Bytes(), []byte("url(")) {
		t.Error("the CSS loads something")
	}
}

// TestHTMLEscapes feeds markup through every text the run controls.
func TestHTMLEscapes(t *testing.T) {
	evil := `<script>alert("x")</script>`
	keys := []results.EntryKey{{Method: "GET", Name: evil}}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	rec := results.NewRecorder(keys)
	rec.Success(0, time.Millisecond, 10)
	rec.Observe(0, results.Observation{Latency: time.Millisecond, Err: `<img src=x onerror="alert(1)">`, At: fixtureStart})
	d := results.NewDelta()
	rec.Drain(d)
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	agg.Tick(fixtureStart.Add(time.Second), 1)
	s := agg.Snapshot(fixtureStart.Add(time.Second))
	var b bytes.Buffer
	err := WriteHTML(&b, s, HTMLOptions{
		Title:    "</title><script>x()</script>",
		Config:   []ConfigItem{{"</style>", `"><b>bold</b>`}},
		Warnings: []string{"<i>w</i>"},
		Workers:  []results.WorkerStatus{{ID: "<u>w</u>", State: "running", Error: "&amp;"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, raw := range []string{"<script", "<img", "<b>", "<i>", "<u>", "</style><"} {
		if strings.Contains(out, raw) {
			t.Errorf("report contains unescaped %q", raw)
		}
	}
	doc := parseXML(t, b.Bytes())
	if got := doc.byID(t, "stats-table").rows("tbody")[0][1]; got != evil {
		t.Errorf("entry name reads %q, want %q", got, evil)
	}
	if got := doc.byID(t, "failures-table").rows("tbody")[0][2]; got != `<img src=x onerror="alert(1)">` {
		t.Errorf("error reads %q", got)
	}
	if got := doc.byID(t, "workers-table").rows("tbody")[0][2]; got != "running (&amp;)" {
		t.Errorf("worker state reads %q", got)
	}
}

func TestHTMLFailuresCapped(t *testing.T) {
	s := snapshotWithFailureGroups(t, 250)
	tests := []struct {
		max       int
		rows      int
		moreGroup int
	}{
		{0, DefaultMaxFailures, 250 - DefaultMaxFailures},
		{10, 10, 240},
		{-1, 250, 0},
		{300, 250, 0},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.max), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteHTML(&b, s, HTMLOptions{MaxFailures: tt.max}); err != nil {
				t.Fatal(err)
			}
			doc := parseXML(t, b.Bytes())
			sec := doc.byID(t, "failures")
			if got := len(sec.rows("tbody")); got != tt.rows {
				t.Errorf("%d failure rows, want %d", got, tt.rows)
			}
			more := sec.all(func(n *xnode) bool { return n.attrs["class"] == "more" })
			if tt.moreGroup == 0 {
				if len(more) != 0 {
					t.Errorf("unexpected note %q", more[0].textContent())
				}
				return
			}
			var occ int64
			for _, e := range s.Errors[tt.rows:] {
				occ += e.Count
			}
			want := fmt.Sprintf("and %d more failure groups with %d more occurrences", tt.moreGroup, occ)
			if len(more) != 1 || !strings.Contains(more[0].textContent(), want) {
				t.Errorf("note %v, want %q", more, want)
			}
		})
	}
}

// snapshotWithFailureGroups has n failure groups, group i failing i+1
// times, so that the most frequent come first.
func snapshotWithFailureGroups(t *testing.T, n int) *results.Snapshot {
	t.Helper()
	keys := []results.EntryKey{{Method: "GET", Name: "/x"}}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	rec := results.NewRecorder(keys)
	for i := range n {
		for range i + 1 {
			rec.Failure(0, time.Millisecond, 0, "failure kind "+letters(i))
		}
	}
	d := results.NewDelta()
	rec.Drain(d)
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	agg.Tick(fixtureStart.Add(time.Second), 1)
	s := agg.Snapshot(fixtureStart.Add(time.Second))
	if len(s.Errors) != n {
		t.Fatalf("%d failure groups, want %d", len(s.Errors), n)
	}
	return s
}

// letters spells i in base 26, so that texts differ in letters only and
// no normalisation of numbers merges them.
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

// TestHTMLHourLongRunSize checks the size promise: an hour of one-second
// history with 20 entries and many failure groups stays under 2 MB.
func TestHTMLHourLongRunSize(t *testing.T) {
	const entries, seconds, groups = 20, 3600, 400
	keys := make([]results.EntryKey, entries)
	for i := range keys {
		keys[i] = results.EntryKey{Method: "GET", Name: fmt.Sprintf("/api/endpoint/%s/items", letters(i))}
	}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{EntryHistory: true})
	rec := results.NewRecorder(keys)
	d := results.NewDelta()
	seed := uint32(7)
	next := func() uint32 { seed = seed*1664525 + 1013904223; return seed >> 8 }
	for sec := 1; sec <= seconds; sec++ {
		for e := range entries {
			for range 3 {
				rec.Success(e, time.Duration(500+next()%200000)*time.Microsecond, 512)
			}
		}
		if sec%9 == 0 {
			rec.Observe(sec%entries, results.Observation{
				Latency: time.Second, Err: "upstream said " + letters(sec%groups),
				At: fixtureStart.Add(time.Duration(sec) * time.Second),
			})
		}
		d.Reset()
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		agg.Tick(fixtureStart.Add(time.Duration(sec)*time.Second), 100+sec%50)
	}
	s := agg.Snapshot(fixtureStart.Add(seconds * time.Second))
	if len(s.History) != seconds || len(s.Entries) != entries || len(s.Errors) != groups {
		t.Fatalf("fixture has %d rows, %d entries, %d groups", len(s.History), len(s.Entries), len(s.Errors))
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, s, HTMLOptions{Config: []ConfigItem{{"run time", "1h"}}}); err != nil {
		t.Fatal(err)
	}
	t.Logf("report of a one-hour run with %d entries: %d bytes", entries, b.Len())
	if b.Len() >= 2<<20 {
		t.Errorf("report is %d bytes, want under 2 MB", b.Len())
	}
	doc := parseXML(t, b.Bytes())
	if got := len(doc.byID(t, "stats-table").rows("tbody")); got != entries {
		t.Errorf("%d stats rows, want %d", got, entries)
	}
}

// TestHTMLWithoutSnapshot is the report of a sweep: configuration,
// warnings and the scaling chart, and no run tables.
func TestHTMLWithoutSnapshot(t *testing.T) {
	var b bytes.Buffer
	err := WriteHTML(&b, nil, HTMLOptions{
		Title:      "sweep <users>",
		Config:     []ConfigItem{{"users=1", "8965.8 req/s"}},
		Warnings:   []string{"fit is poor"},
		ScalingSVG: []byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`),
	})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"sweep &lt;users&gt;", "users=1", "8965.8 req/s", "fit is poor", `id="scaling"`, "data:image/svg&#43;xml;base64,"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, absent := range []string{`id="stats"`, `id="percentiles"`, `id="failures"`, `href="#stats"`} {
		if strings.Contains(out, absent) {
			t.Errorf("report without a run has %q", absent)
		}
	}
}

// TestHTMLShowsThePauses: a run whose generator paused says so in the
// summary; one that did not has no such item.
func TestHTMLShowsThePauses(t *testing.T) {
	s := snapshotWithFailureGroups(t, 1)
	var plain bytes.Buffer
	if err := WriteHTML(&plain, s, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "Generator pauses") {
		t.Error("a run without pauses shows them")
	}
	paused := *s
	paused.Pauses = results.PauseStats{Count: 2, Total: 113 * time.Millisecond, Max: 101 * time.Millisecond}
	var b bytes.Buffer
	if err := WriteHTML(&b, &paused, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	doc := parseXML(t, b.Bytes())
	if got := doc.byID(t, "summary").textContent(); !strings.Contains(got, "Generator pauses2, the longest 101 ms, 113 ms in all") {
		t.Errorf("summary %q lacks the pauses", got)
	}
}
