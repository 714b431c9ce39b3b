package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/chart"
)

func TestWriteRunChart(t *testing.T) {
	s := fixtureSnapshot(t)
	tests := []struct {
		chart  RunChart
		name   string
		legend []string
	}{
		{ChartRPS, "rps", []string{"requests/s", "failures/s", "Requests per second"}},
		{ChartLatency, "latency", []string{"p50", "p95", "p99", "Response times (last 10s)"}},
		{ChartLatencyCumulative, "latency-cumulative", []string{"p50", "p95", "p99", "Response times (cumulative)"}},
		{ChartLatencyByEntry, "latency-entries", []string{"GET /albums", "POST /albums", "GET /albums/{id}", "p99 by entry (last 10s)"}},
		{ChartUsers, "users", []string{"users", "Users"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.chart.String() != tt.name {
				t.Errorf("String() = %q, want %q", tt.chart.String(), tt.name)
			}
			if c, ok := ParseRunChart(tt.name); !ok || c != tt.chart {
				t.Errorf("ParseRunChart(%q) = %v, %v", tt.name, c, ok)
			}
			var b bytes.Buffer
			if err := WriteRunChart(&b, chart.SVG, s, tt.chart, chart.Options{}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "<svg") {
				t.Fatal("not an SVG")
			}
			for _, l := range tt.legend {
				if !strings.Contains(b.String(), ">"+l) {
					t.Errorf("chart lacks %q", l)
				}
			}
		})
	}
	if _, ok := ParseRunChart("pie"); ok {
		t.Error("ParseRunChart accepted an unknown chart")
	}
	if err := WriteRunChart(&bytes.Buffer{}, chart.SVG, s, RunChart(9), chart.Options{}); err == nil {
		t.Error("an unknown chart drew")
	}
}

// TestWriteRunChartEmpty draws a run with no history yet: empty axes, not
// an error, so that a page can show its charts from the start.
func TestWriteRunChartEmpty(t *testing.T) {
	s := results.NewAggregator(fixtureStart, results.AggregatorOptions{}).Snapshot(fixtureStart)
	for _, c := range RunCharts() {
		var b bytes.Buffer
		if err := WriteRunChart(&b, chart.SVG, s, c, chart.Options{}); err != nil {
			t.Errorf("%s: %v", c, err)
		}
		if !strings.Contains(b.String(), "no data yet") {
			t.Errorf("%s: empty chart lacks its note", c)
		}
	}
	var bad bytes.Buffer
	if err := WriteRunChart(&bad, chart.SVG, s, ChartRPS, chart.Options{Width: -1}); err == nil || errors.Is(err, chart.ErrNoData) {
		t.Errorf("a bad size gave %v", err)
	}
}

// TestHistoryOrigin keeps the charts on the run's clock after a reset,
// which moves the statistics' start but keeps the history.
func TestHistoryOrigin(t *testing.T) {
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	for sec := 1; sec <= 4; sec++ {
		agg.Tick(fixtureStart.Add(time.Duration(sec)*time.Second), sec)
	}
	if got := historyOrigin(agg.Snapshot(fixtureStart.Add(4 * time.Second))); !got.Equal(fixtureStart) {
		t.Errorf("origin %v, want the start %v", got, fixtureStart)
	}
	agg.Reset(fixtureStart.Add(4 * time.Second))
	agg.Tick(fixtureStart.Add(5*time.Second), 5)
	s := agg.Snapshot(fixtureStart.Add(5 * time.Second))
	if !s.Start.Equal(fixtureStart.Add(4 * time.Second)) {
		t.Fatalf("reset start %v", s.Start)
	}
	if got := historyOrigin(s); !got.Equal(fixtureStart) {
		t.Errorf("origin after a reset %v, want the run's start %v", got, fixtureStart)
	}
}

// TestHTMLLeavesOutTheEntryChartWithoutEntryHistory: a run without
// per-entry history has nothing to draw per entry.
func TestHTMLLeavesOutTheEntryChartWithoutEntryHistory(t *testing.T) {
	s := streamRun(t, 3, 0)
	if !HasEntryHistory(s) {
		t.Fatal("the stream run keeps entry history")
	}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	agg.Tick(fixtureStart.Add(time.Second), 1)
	bare := agg.Snapshot(fixtureStart.Add(time.Second))
	var b bytes.Buffer
	if err := WriteHTML(&b, bare, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	if HasEntryHistory(bare) || strings.Contains(b.String(), "p99 by entry") {
		t.Error("the report of a run without entry history has the per-entry chart")
	}
}
