package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/chart"
)

// RunChart names one of a run's charts over time. The web UI and the HTML
// report draw the same ones, through WriteRunChart, so they always agree.
type RunChart int

// The charts of a run.
const (
	// ChartRPS is requests per second and failures per second, over the
	// current window.
	ChartRPS RunChart = iota
	// ChartLatency is the p50, p95 and p99 response times over the current
	// window (the last 10 s by default) at each second: a stall shows
	// while it is in the window, whenever in the run it happens.
	ChartLatency
	// ChartLatencyCumulative is the same percentiles, cumulative from the
	// start of the statistics.
	ChartLatencyCumulative
	// ChartUsers is the user count.
	ChartUsers
	// ChartLatencyByEntry is each entry's p99 over the current window (the
	// busiest entries, up to MaxChartEntries), from the per-entry history
	// a run keeps for --csv-full-history; without it, the chart is empty.
	ChartLatencyByEntry
)

// MaxChartEntries bounds the lines of ChartLatencyByEntry: more would not
// be told apart.
const MaxChartEntries = 8

// RunCharts lists every run chart, in the order pages show them.
func RunCharts() []RunChart {
	return []RunChart{ChartRPS, ChartLatency, ChartLatencyCumulative, ChartUsers, ChartLatencyByEntry}
}

// String returns the chart's short name: rps, latency or users.
func (c RunChart) String() string {
	switch c {
	case ChartRPS:
		return "rps"
	case ChartLatency:
		return "latency"
	case ChartLatencyCumulative:
		return "latency-cumulative"
	case ChartUsers:
		return "users"
	case ChartLatencyByEntry:
		return "latency-entries"
	}
	return fmt.Sprintf("RunChart(%d)", int(c))
}

// ParseRunChart returns the chart that String names.
func ParseRunChart(name string) (RunChart, bool) {
	for _, c := range RunCharts() {
		if c.String() == name {
			return c, true
		}
	}
	return 0, false
}

// Title returns the chart's title as drawn.
func (c RunChart) Title() string {
	switch c {
	case ChartRPS:
		return "Requests per second"
	case ChartLatency:
		return "Response times (current window)"
	case ChartLatencyCumulative:
		return "Response times (cumulative)"
	case ChartUsers:
		return "Users"
	case ChartLatencyByEntry:
		return "p99 by entry (current window)"
	}
	return c.String()
}

// TitleFor returns the chart's title for a snapshot: Title, with the
// window's length for the windowed chart ("Response times (last 10s)").
func (c RunChart) TitleFor(s *results.Snapshot) string {
	if s.Window > 0 {
		switch c {
		case ChartLatency:
			return "Response times (last " + s.Window.String() + ")"
		case ChartLatencyByEntry:
			return "p99 by entry (last " + s.Window.String() + ")"
		}
	}
	return c.Title()
}

// WriteRunChart draws one chart of the snapshot's history with the chart
// package. o.Title defaults to c.TitleFor(s). A snapshot without history
// draws empty axes, so a page can show the chart from the first second.
func WriteRunChart(w io.Writer, f chart.Format, s *results.Snapshot, c RunChart, o chart.Options) error {
	if o.Title == "" {
		o.Title = c.TitleFor(s)
	}
	n := len(s.History)
	t := make([]float64, n)
	origin := historyOrigin(s)
	for i, row := range s.History {
		t[i] = wallSince(row.Time, origin).Seconds()
	}
	column := func(v func(results.HistoryRow) float64) []float64 {
		out := make([]float64, n)
		for i, row := range s.History {
			out[i] = v(row)
		}
		return out
	}
	var series []chart.Series
	switch c {
	case ChartRPS:
		if o.YLabel == "" {
			o.YLabel = "per second"
		}
		series = []chart.Series{
			{Name: "requests/s", T: t, V: column(func(r results.HistoryRow) float64 { return r.Total.RPS() })},
			{Name: "failures/s", T: t, V: column(func(r results.HistoryRow) float64 { return r.Total.FailPerSec() })},
		}
	case ChartLatency, ChartLatencyCumulative:
		if o.YLabel == "" {
			o.YLabel = "ms"
		}
		windowed := c == ChartLatency
		for _, q := range []float64{0.5, 0.95, 0.99} {
			i := reportedIndex(q)
			series = append(series, chart.Series{Name: "p" + results.PercentileKey(q), T: t, V: column(func(r results.HistoryRow) float64 {
				if windowed {
					if !r.Total.HasWindow() {
						// Nothing completed in the window: a gap, not a zero.
						return math.NaN()
					}
					return ms(r.Total.WindowReported()[i])
				}
				if !r.Total.HasPercentiles() {
					return math.NaN()
				}
				return ms(r.Total.Reported()[i])
			})})
		}
	case ChartLatencyByEntry:
		if o.YLabel == "" {
			o.YLabel = "ms"
		}
		p99 := reportedIndex(0.99)
		for _, e := range busiest(s.Entries, MaxChartEntries) {
			v := column(func(r results.HistoryRow) float64 {
				if p, ok := r.Entry(e); ok && p.HasWindow() {
					return ms(p.WindowReported()[p99])
				}
				return math.NaN()
			})
			if slices.ContainsFunc(v, func(x float64) bool { return !math.IsNaN(x) }) {
				series = append(series, chart.Series{Name: strings.TrimSpace(e.Method() + " " + e.Name()), T: t, V: v})
			}
		}
	case ChartUsers:
		if o.YLabel == "" {
			o.YLabel = "users"
		}
		series = []chart.Series{{Name: "users", T: t, V: column(func(r results.HistoryRow) float64 { return float64(r.Users) })}}
	default:
		return fmt.Errorf("run chart: unknown chart %d", int(c))
	}
	if err := chart.TimeSeries(w, f, series, o); err != nil {
		return fmt.Errorf("run chart %s: %w", c, err)
	}
	return nil
}

// HasEntryHistory reports whether the snapshot's history has per-entry
// points, which ChartLatencyByEntry draws.
func HasEntryHistory(s *results.Snapshot) bool {
	for _, row := range s.History {
		for _, e := range s.Entries {
			if _, ok := row.Entry(e); ok {
				return true
			}
		}
	}
	return false
}

// busiest returns up to n entries with the most requests, in the
// snapshot's order.
func busiest(es []results.EntryStats, n int) []results.EntryStats {
	if len(es) <= n {
		return es
	}
	counts := make([]int64, len(es))
	for i, e := range es {
		counts[i] = e.Count()
	}
	slices.Sort(counts)
	cut := counts[len(counts)-n]
	var out []results.EntryStats
	for _, e := range es {
		if e.Count() >= cut && len(out) < n {
			out = append(out, e)
		}
	}
	return out
}

// historyOrigin is time zero of the charts: the start of the statistics,
// or, when they were reset during the run and the history goes back
// further, one interval before the first row, so that the charts still
// show the whole run.
func historyOrigin(s *results.Snapshot) time.Time {
	if len(s.History) == 0 || !s.History[0].Time.Before(s.Start) {
		return s.Start
	}
	step := time.Second
	if len(s.History) > 1 {
		step = wallSince(s.History[1].Time, s.History[0].Time)
	}
	return s.History[0].Time.Add(-step)
}

// wallSince is t - from by the wall clock. The times of a run carry
// monotonic readings as well, which a saved result loses; time.Now reads
// the two clocks apart, by microseconds or more on a busy machine, so a
// chart drawn from the monotonic differences would move by a hair when
// drawn again from the saved result.
func wallSince(t, from time.Time) time.Duration {
	return t.Round(0).Sub(from.Round(0))
}

// reportedIndex is q's position in results.ReportedPercentiles; q must be
// one of them.
func reportedIndex(q float64) int {
	for i, r := range results.ReportedPercentiles() {
		if r == q {
			return i
		}
	}
	panic(fmt.Sprintf("report: %g is not a reported percentile", q))
}
