package report

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/chart"
	"github.com/loadgen/loadgen/results/threshold"
)

// DefaultMaxFailures is how many failure groups an HTML report lists when
// HTMLOptions.MaxFailures is zero. Each distinct error text is a group, and a
// run against a failing target can make millions; the rest are counted,
// and the CSV and JSON outputs keep them all.
const DefaultMaxFailures = 100

// HTMLOptions are the parts of an HTML report that the snapshot does not
// hold. Everything is optional. WriteHTML with a nil snapshot writes a
// report of these parts alone, such as a scaling sweep's: its
// configuration, warnings and scaling chart.
type HTMLOptions struct {
	// Title heads the page; default "loadgen report".
	Title string
	// Config is the run's configuration, shown in the given order.
	Config []ConfigItem
	// Warnings are noted problems with the run, such as a lost worker.
	Warnings []string
	// Thresholds are the run's evaluated thresholds.
	Thresholds []threshold.Result
	// Workers is the worker table of a distributed run.
	Workers []results.WorkerStatus
	// ScalingSVG is a scaling chart drawn by chart.Throughput, embedded as
	// an image.
	ScalingSVG []byte
	// MaxFailures caps the failure groups listed; 0 means
	// DefaultMaxFailures, a negative value lists them all.
	MaxFailures int
}

// ConfigItem is one setting of a run, as people read it.
type ConfigItem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// WriteHTML writes one self-contained HTML page: inline CSS, charts as
// inline SVG, no script and no external reference, so that it can be
// mailed or attached to a ticket and opened anywhere. It holds the
// configuration, the statistics and percentile tables, the thresholds, the
// charts over time, the failures (capped, see HTMLOptions.MaxFailures), the
// worker table and the scaling chart when given. Every text from the run
// is escaped.
func WriteHTML(w io.Writer, s *results.Snapshot, opts HTMLOptions) error {
	page, err := newHTMLPage(s, opts)
	if err != nil {
		return err
	}
	if err := htmlTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// htmlPage is what the template shows, every number already formatted.
type htmlPage struct {
	Title, Start, End, Duration string
	Summary                     []ConfigItem
	Config                      []ConfigItem
	Warnings                    []string
	Thresholds                  []htmlThreshold
	ThresholdsPassed            int
	PercentileLabels            []string
	Stats                       []htmlEntry
	Total                       htmlEntry
	Charts                      []htmlChart
	Failures                    []htmlFailure
	MoreFailures                string
	Workers                     []htmlWorker
	Scaling                     template.URL
	Generated                   string
	// HasRun is false for a report without a snapshot.
	HasRun bool
}

type htmlEntry struct {
	Method, Name, Count, Failures, Median, P95, P99, Avg, Min, Max, AvgSize, RPS, FailPerSec string
	Percentiles                                                                              []string
	Failed                                                                                   bool
}

type htmlChart struct {
	Title string
	SVG   template.HTML
}

type htmlFailure struct {
	Method, Name, Error, Count, FirstSeen, LastSeen string
}

type htmlThreshold struct {
	Expr, Measured, Limit, Requests, Note string
	Pass                                  bool
}

type htmlWorker struct {
	ID, Host, State, Users, Requests, Failures, RPS, CPU, Memory, LastHeartbeat string
}

func newHTMLPage(s *results.Snapshot, opts HTMLOptions) (*htmlPage, error) {
	if s == nil {
		p := &htmlPage{Title: opts.Title, Config: opts.Config, Warnings: opts.Warnings, Generated: stamp(time.Now())}
		if p.Title == "" {
			p.Title = "loadgen report"
		}
		p.setScaling(opts.ScalingSVG)
		return p, nil
	}
	p := &htmlPage{
		HasRun:    true,
		Title:     opts.Title,
		Start:     stamp(s.Start),
		End:       stamp(s.Now),
		Duration:  wallSince(s.Now, s.Start).Round(time.Second).String(),
		Config:    opts.Config,
		Warnings:  runWarnings(s, opts.Warnings),
		Generated: stamp(s.Now),
	}
	if p.Title == "" {
		p.Title = "loadgen report"
	}
	t := s.Total
	p.Summary = []ConfigItem{
		{"Requests", strconv.FormatInt(t.Count(), 10)},
		{"Failures", fmt.Sprintf("%d (%s)", t.Failures(), percent(t.FailRatio()))},
		{"Requests/s", rate(t.TotalRPS())},
		{"Median", Millis(t.Median()) + " ms"},
		{"95%", Millis(t.Percentile(0.95)) + " ms"},
		{"99%", Millis(t.Percentile(0.99)) + " ms"},
		{"Users", strconv.Itoa(s.Users)},
	}
	if ps := s.Pauses; ps.Count > 0 {
		p.Summary = append(p.Summary, ConfigItem{"Generator pauses", fmt.Sprintf("%d, the longest %s ms, %s ms in all",
			ps.Count, Millis(ps.Max), Millis(ps.Total))})
	}
	for _, q := range results.ReportedPercentiles() {
		p.PercentileLabels = append(p.PercentileLabels, results.PercentileLabel(q))
	}
	for _, e := range s.Entries {
		p.Stats = append(p.Stats, newHTMLEntry(e))
	}
	p.Total = newHTMLEntry(t)
	for _, r := range opts.Thresholds {
		ht := htmlThreshold{
			Measured: r.Measured,
			Limit:    number(r.Limit) + " " + r.Unit,
			Requests: strconv.FormatInt(r.Requests, 10),
			Note:     r.Note,
			Pass:     r.Pass,
		}
		if r.Threshold != nil {
			ht.Expr = r.Threshold.String()
		}
		if r.Pass {
			p.ThresholdsPassed++
		}
		p.Thresholds = append(p.Thresholds, ht)
	}
	for _, c := range RunCharts() {
		if c == ChartLatencyByEntry && !HasEntryHistory(s) {
			continue
		}
		var b bytes.Buffer
		if err := WriteRunChart(&b, chart.SVG, s, c, chart.Options{Width: 900, Height: 320}); err != nil {
			return nil, fmt.Errorf("HTML report: %w", err)
		}
		p.Charts = append(p.Charts, htmlChart{Title: c.TitleFor(s), SVG: inlineSVG(b.Bytes())})
	}
	p.Failures, p.MoreFailures = htmlFailures(s.Errors, opts.MaxFailures)
	for _, wr := range opts.Workers {
		p.Workers = append(p.Workers, newHTMLWorker(wr, s.Now))
	}
	p.setScaling(opts.ScalingSVG)
	return p, nil
}

// setScaling embeds a scaling chart. As an image, a caller's SVG cannot run
// anything or restyle the page, whatever it holds.
func (p *htmlPage) setScaling(svg []byte) {
	if len(svg) > 0 {
		p.Scaling = template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg))
	}
}

func newHTMLEntry(e results.EntryStats) htmlEntry {
	he := htmlEntry{
		Method: e.Method(), Name: e.Name(),
		Count: strconv.FormatInt(e.Count(), 10), Failures: strconv.FormatInt(e.Failures(), 10),
		Median: Millis(e.Median()), P95: Millis(e.Percentile(0.95)), P99: Millis(e.Percentile(0.99)),
		Avg: Millis(e.Avg()), Min: Millis(e.Min()), Max: Millis(e.Max()),
		AvgSize:    strconv.FormatFloat(e.AvgContentSize(), 'f', 0, 64),
		RPS:        rate(e.TotalRPS()),
		FailPerSec: rate(e.TotalFailPerSec()),
		Failed:     e.Failures() > 0,
	}
	for _, v := range e.Latency().Reported() {
		he.Percentiles = append(he.Percentiles, Millis(v))
	}
	return he
}

// htmlFailures lists up to max groups (the most frequent, as the snapshot
// orders them) and says what the rest amount to.
func htmlFailures(errs []results.ErrorStats, max int) ([]htmlFailure, string) {
	if max == 0 {
		max = DefaultMaxFailures
	}
	shown := errs
	if max > 0 && len(errs) > max {
		shown = errs[:max]
	}
	out := make([]htmlFailure, 0, len(shown))
	for _, e := range shown {
		out = append(out, htmlFailure{
			Method: e.Method, Name: e.Name, Error: e.Error, Count: strconv.FormatInt(e.Count, 10),
			FirstSeen: stamp(e.FirstSeen), LastSeen: stamp(e.LastSeen),
		})
	}
	rest := errs[len(shown):]
	if len(rest) == 0 {
		return out, ""
	}
	var n int64
	for _, e := range rest {
		n += e.Count
	}
	return out, fmt.Sprintf("and %d more failure groups with %d more occurrences (the CSV and JSON outputs list them all)", len(rest), n)
}

func newHTMLWorker(w results.WorkerStatus, now time.Time) htmlWorker {
	state := w.State
	if w.Error != "" {
		state += " (" + w.Error + ")"
	}
	last := "-"
	if !w.LastHeartbeat.IsZero() {
		last = stamp(w.LastHeartbeat)
		if d := now.Sub(w.LastHeartbeat); d >= 0 {
			last += " (" + d.Round(100*time.Millisecond).String() + " before the end)"
		}
	}
	return htmlWorker{
		ID: w.ID, Host: w.Host, State: state,
		Users:    fmt.Sprintf("%d of %d", w.Users, w.Target),
		Requests: strconv.FormatInt(w.Requests, 10), Failures: strconv.FormatInt(w.Failures, 10),
		RPS: rate(w.RPS), CPU: strconv.FormatFloat(w.CPUPercent, 'f', 0, 64) + " %",
		Memory:        strconv.FormatFloat(float64(w.RSSBytes)/(1<<20), 'f', 1, 64) + " MB",
		LastHeartbeat: last,
	}
}

// inlineSVG drops the XML prolog and comments before the <svg> element,
// which have no place inside an HTML body. The SVG comes from the chart
// package, which escapes every text it draws.
func inlineSVG(b []byte) template.HTML {
	if i := bytes.Index(b, []byte("<svg")); i >= 0 {
		b = b[i:]
	}
	return template.HTML(bytes.TrimSpace(b))
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func rate(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func percent(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + " %" }
