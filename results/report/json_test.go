package report

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/results"
)

type fixtureConfig struct {
	Users   int    `json:"users"`
	Client  string `json:"client"`
	Profile string `json:"profile"`
}

func writeFixtureJSON(t *testing.T, full bool) (*results.Snapshot, []byte) {
	t.Helper()
	s := fixtureSnapshot(t)
	var b bytes.Buffer
	opts := JSONOptions{
		Config:      fixtureConfig{Users: 50, Client: "fasthttp", Profile: "albums"},
		Warnings:    []string{"worker 2 lost at 00:03; its statistics up to then are kept"},
		FullHistory: full,
	}
	if err := WriteJSON(&b, s, opts); err != nil {
		t.Fatal(err)
	}
	return s, b.Bytes()
}

func TestJSONGolden(t *testing.T) {
	_, b := writeFixtureJSON(t, true)
	// Compressed histogram bytes depend on the zlib implementation; the
	// round-trip tests check their content, the golden file the rest.
	golden(t, "report.json", hdrText.ReplaceAll(b, []byte(`"hdr": "(V2 histogram)"`)))
}

var hdrText = regexp.MustCompile(`"hdr": "[A-Za-z0-9+/=]+"`)

// TestJSONRoundTrip reads a report back and checks that its histograms
// give the snapshot's counts and percentiles, alone and re-merged.
func TestJSONRoundTrip(t *testing.T) {
	s, b := writeFixtureJSON(t, false)
	rep, err := ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Entries) != len(s.Entries) || len(rep.History) != len(s.History) || len(rep.Errors) != len(s.Errors) {
		t.Fatalf("%d entries, %d rows, %d errors; want %d, %d, %d",
			len(rep.Entries), len(rep.History), len(rep.Errors), len(s.Entries), len(s.History), len(s.Errors))
	}
	var cfg fixtureConfig
	if err := json.Unmarshal(rep.Config, &cfg); err != nil || cfg.Client != "fasthttp" {
		t.Errorf("config %s (%v)", rep.Config, err)
	}
	qs := []float64{0, 0.1, 0.5, 0.75, 0.9, 0.99, 0.999, 1}
	merged := results.NewPackedHistogram()
	for i, je := range rep.Entries {
		e := s.Entries[i]
		d, err := je.Distribution()
		if err != nil {
			t.Fatal(err)
		}
		if d.Count() != e.Count() || je.Count != e.Count() {
			t.Fatalf("%s %s: %d values, %d count; want %d", je.Method, je.Name, d.Count(), je.Count, e.Count())
		}
		for _, q := range qs {
			if d.Percentile(q) != e.Percentile(q) {
				t.Errorf("%s %s: Percentile(%v) %v after the round trip, %v before", je.Method, je.Name, q, d.Percentile(q), e.Percentile(q))
			}
		}
		merged.Merge(d.Histogram())
	}
	// The entries' histograms re-merge exactly into the aggregated one.
	agg, err := rep.Aggregated.Distribution()
	if err != nil {
		t.Fatal(err)
	}
	remerged := results.NewDistribution(merged, s.Total.Min(), s.Total.Max())
	if remerged.Count() != s.Total.Count() || agg.Count() != s.Total.Count() {
		t.Fatalf("re-merged %d, aggregated %d, want %d", remerged.Count(), agg.Count(), s.Total.Count())
	}
	for _, q := range qs {
		if remerged.Percentile(q) != s.Total.Percentile(q) || agg.Percentile(q) != s.Total.Percentile(q) {
			t.Errorf("Percentile(%v): re-merged %v, aggregated %v, snapshot %v", q, remerged.Percentile(q), agg.Percentile(q), s.Total.Percentile(q))
		}
	}
	// The paced entry carries its corrected series.
	var paced *Entry
	for i := range rep.Entries {
		if rep.Entries[i].Name == "/albums/{id}" {
			paced = &rep.Entries[i]
		}
	}
	if paced == nil || paced.Corrected == nil {
		t.Fatal("the paced entry has no corrected series")
	}
	cd, err := paced.Corrected.Distribution()
	if err != nil || cd.Count() != paced.Corrected.Count || cd.Count() < paced.Count {
		t.Errorf("corrected series: %v, %d values, count %d", err, cd.Count(), paced.Corrected.Count)
	}
	if got := rep.Aggregated.Percentiles["99.9"]; got != ms(s.Total.Percentile(0.999)) {
		t.Errorf("aggregated p99.9 %v ms, want %v", got, ms(s.Total.Percentile(0.999)))
	}
	if rep.History[0].Entries != nil {
		t.Error("history has entry points without FullHistory")
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "worker 2") {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

func TestReadJSONRejectsBadReports(t *testing.T) {
	_, b := writeFixtureJSON(t, false)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(map[string]any)) string {
		var d map[string]any
		_ = json.Unmarshal(b, &d)
		f(d)
		out, _ := json.Marshal(d)
		return string(out)
	}
	entry0 := func(d map[string]any) map[string]any { return d["entries"].([]any)[0].(map[string]any) }
	tests := []struct {
		name, in, want string
	}{
		{"not json", "{", "read JSON report"},
		{"version", mutate(func(d map[string]any) { d["version"] = 2 }), "version 2"},
		{"bad hdr", mutate(func(d map[string]any) { entry0(d)["hdr"] = "AAAA" }), "entries[0]"},
		{"count mismatch", mutate(func(d map[string]any) { entry0(d)["count"] = 1 }), "count is 1"},
		{"aggregated hdr", mutate(func(d map[string]any) { d["aggregated"].(map[string]any)["hdr"] = "" }), "aggregated"},
	}
	for _, tt := range tests {
		if _, err := ReadJSON(strings.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestJSONWarnsAboutClampedValues(t *testing.T) {
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	rec := results.NewRecorder([]results.EntryKey{{Method: "GET", Name: "/a"}})
	rec.Success(0, 2*results.MaxLatency, 0)
	d := results.NewDelta()
	rec.Drain(d)
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	r, err := NewReport(agg.Snapshot(fixtureStart.Add(1e9)), JSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "1 response times") || r.Entries[0].Clamped != 1 {
		t.Errorf("warnings %q, clamped %d", r.Warnings, r.Entries[0].Clamped)
	}
}
