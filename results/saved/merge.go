package saved

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/threshold"
)

// MergedName is the Name of a merged Result.
const MergedName = "merge"

// Merge merges the results of runs that went on at the same time, such as
// one test driven from several machines, into one result, as if one
// process had made every request:
//
//   - counts, failures, sums and extremes add up exactly, and the HDR
//     histograms merge bucket by bucket, so every percentile is exact;
//   - rates (whole-run and current) are the sums of the sources' rates:
//     the fleet's throughput while they overlapped;
//   - failure groups add up by entry and text; the history's rows are
//     aligned on whole seconds, their counts and rates summed (their
//     percentiles cannot be merged from rows, so merged rows have none);
//   - the sources' thresholds are evaluated again on the merged result;
//   - each source is named in Sources, its warnings and workers kept,
//     prefixed with its name.
//
// It refuses, saying why, results that did not overlap in time (their
// rates cannot be summed), and entries whose latencies do not measure the
// same thing: an open-model run's (from the intended send time) with a
// closed-model one's, or a paced run's corrected series with a run that
// has none.
func Merge(rs []*Result) (*Result, error) {
	if len(rs) < 2 {
		return nil, fmt.Errorf("merge needs at least two results, got %d", len(rs))
	}
	if err := checkOverlap(rs); err != nil {
		return nil, err
	}
	m := &merger{rs: rs, index: map[results.EntryKey]int{}}
	if err := m.entries(); err != nil {
		return nil, err
	}
	m.errors()
	m.history()
	snap, err := results.RestoreSnapshot(&m.rec)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	opts, err := m.options(snap)
	if err != nil {
		return nil, err
	}
	rep, err := report.NewReport(snap, opts)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return &Result{Name: MergedName, Report: rep, Snapshot: snap}, nil
}

// checkOverlap refuses results that never ran at the same time.
func checkOverlap(rs []*Result) error {
	late, early := rs[0], rs[0] // the one that starts last, the one that ends first
	for _, r := range rs[1:] {
		if r.Report.Start.After(late.Report.Start) {
			late = r
		}
		if r.Report.End.Before(early.Report.End) {
			early = r
		}
	}
	if !late.Report.Start.Before(early.Report.End) {
		return fmt.Errorf("%s (%s to %s) and %s (%s to %s) did not run at the same time: the rates of results that do not overlap cannot be summed; merge results of runs that went on together",
			early.Name, stamp(early.Report.Start), stamp(early.Report.End),
			late.Name, stamp(late.Report.Start), stamp(late.Report.End))
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

type merger struct {
	rs    []*Result
	rec   results.SnapshotRecord
	index map[results.EntryKey]int
	// seriesOf remembers, per entry, which source first had requests and
	// whether it had each optional series.
	seriesOf []seriesSeen
	warnings []string
}

type seriesSeen struct {
	source             string
	corrected, service bool
}

func (m *merger) entries() error {
	rec := &m.rec
	rec.Start, rec.Now = m.rs[0].Report.Start, m.rs[0].Report.End
	rec.Window = m.rs[0].Snapshot.Window
	var total seriesSeen
	for i, r := range m.rs {
		rep := r.Report
		rec.Start = minTime(rec.Start, rep.Start)
		rec.Now = maxTime(rec.Now, rep.End)
		rec.Users += rep.Users
		if w := r.Snapshot.Window; w != rec.Window {
			m.warnings = append(m.warnings, fmt.Sprintf("the sources' current windows differ (%s: %v, %s: %v): the current rates add windows of different lengths",
				m.rs[0].Name, rec.Window, r.Name, w))
		}
		for j := range rep.Entries {
			e := &rep.Entries[j]
			k := results.EntryKey{Method: e.Method, Name: e.Name}
			at, ok := m.index[k]
			if !ok {
				at = len(rec.Entries)
				m.index[k] = at
				rec.Entries = append(rec.Entries, results.EntryRecord{Key: k, Latency: results.NewPackedHistogram()})
				m.seriesOf = append(m.seriesOf, seriesSeen{})
			}
			if err := m.add(&rec.Entries[at], &m.seriesOf[at], r.Name, e); err != nil {
				return err
			}
		}
		if i == 0 {
			rec.Total = results.EntryRecord{Key: results.EntryKey{Name: results.AggregatedName}, Latency: results.NewPackedHistogram()}
		}
		if err := m.add(&rec.Total, &total, r.Name, &rep.Aggregated); err != nil {
			return err
		}
	}
	slices.SortFunc(rec.Entries, func(a, b results.EntryRecord) int {
		return cmp.Or(cmp.Compare(a.Key.Name, b.Key.Name), cmp.Compare(a.Key.Method, b.Key.Method))
	})
	return nil
}

// add merges one source's entry into the merged one.
func (m *merger) add(dst *results.EntryRecord, seen *seriesSeen, source string, e *report.Entry) error {
	if e.Count == 0 {
		return nil
	}
	src, err := entryRecord(e)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	what := fmt.Sprintf("%s %s", e.Method, e.Name)
	if e.Name == results.AggregatedName && e.Method == "" {
		what = results.AggregatedName
	}
	has := seriesSeen{source: source, corrected: src.Corrected != nil, service: src.Service != nil}
	if seen.source == "" {
		*seen = has
	} else {
		if has.service != seen.service {
			open, closed := seen.source, source
			if has.service {
				open, closed = source, seen.source
			}
			return fmt.Errorf("%s cannot be merged: in %s it comes from an open-model run, whose latencies count from the intended send time, and in %s from a closed-model run, whose latencies count from the actual send; they do not measure the same thing",
				what, open, closed)
		}
		if has.corrected != seen.corrected {
			paced, unpaced := seen.source, source
			if has.corrected {
				paced, unpaced = source, seen.source
			}
			return fmt.Errorf("%s cannot be merged: in %s its users were paced and it has a coordinated-omission corrected series, in %s it has none; merged, that series would cover only part of the requests",
				what, paced, unpaced)
		}
	}
	if err := checkSum(what, dst.Count, src.Count, dst.SumMicros, src.SumMicros, dst.Bytes, src.Bytes); err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if dst.Count == 0 || src.MinMicros < dst.MinMicros {
		dst.MinMicros = src.MinMicros
	}
	dst.MaxMicros = max(dst.MaxMicros, src.MaxMicros)
	dst.Count += src.Count
	dst.Failures += src.Failures
	dst.SumMicros += src.SumMicros
	dst.Bytes += src.Bytes
	dst.Clamped += src.Clamped
	dst.RPS += src.RPS
	dst.FailPerSec += src.FailPerSec
	dst.CurrentRPS += src.CurrentRPS
	dst.CurrentFailPerSec += src.CurrentFailPerSec
	mergeInto(&dst.Latency, src.Latency)
	mergeInto(&dst.Corrected, src.Corrected)
	mergeInto(&dst.Service, src.Service)
	return nil
}

func checkSum(what string, pairs ...int64) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if a, b := pairs[i], pairs[i+1]; b > 0 && a > math.MaxInt64-b {
			return fmt.Errorf("%s: the merged totals would overflow", what)
		}
	}
	return nil
}

func mergeInto(dst **hdrhistogram.PackedHistogram, src *hdrhistogram.PackedHistogram) {
	if src == nil {
		return
	}
	if *dst == nil {
		*dst = results.NewPackedHistogram()
	}
	// One geometry, checked when decoded: nothing is dropped.
	(*dst).Merge(src)
}

func (m *merger) errors() {
	idx := map[results.ErrorKey]int{}
	for _, r := range m.rs {
		for _, e := range r.Snapshot.Errors {
			i, ok := idx[e.ErrorKey]
			if !ok {
				idx[e.ErrorKey] = len(m.rec.Errors)
				m.rec.Errors = append(m.rec.Errors, e)
				continue
			}
			g := &m.rec.Errors[i]
			g.Count += e.Count
			if e.FirstSeen.Before(g.FirstSeen) {
				g.FirstSeen = e.FirstSeen
			}
			if e.LastSeen.After(g.LastSeen) {
				g.LastSeen = e.LastSeen
			}
		}
	}
	slices.SortFunc(m.rec.Errors, func(a, b results.ErrorStats) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Method, b.Method), cmp.Compare(a.Error, b.Error))
	})
	m.notes()
}

// notes merges the exceptions, grouped by stack as in a run, the skipped
// requests, the abandoned ones and the generators' pauses.
func (m *merger) notes() {
	exc := map[string]int{}
	skip := map[results.EntryKey]int{}
	for _, r := range m.rs {
		for _, e := range r.Snapshot.Exceptions {
			i, ok := exc[e.Traceback]
			if !ok {
				exc[e.Traceback] = len(m.rec.Exceptions)
				e.Nodes = slices.Clone(e.Nodes)
				m.rec.Exceptions = append(m.rec.Exceptions, e)
				continue
			}
			g := &m.rec.Exceptions[i]
			g.Count += e.Count
			for _, n := range e.Nodes {
				if !slices.Contains(g.Nodes, n) {
					g.Nodes = append(g.Nodes, n)
				}
			}
			slices.Sort(g.Nodes)
		}
		m.rec.Abandoned.Count += r.Snapshot.Abandoned.Count
		m.rec.Abandoned.Oldest = max(m.rec.Abandoned.Oldest, r.Snapshot.Abandoned.Oldest)
		p := r.Snapshot.Pauses
		m.rec.Pauses.Count += p.Count
		m.rec.Pauses.Total += p.Total
		m.rec.Pauses.Max = max(m.rec.Pauses.Max, p.Max)
		for _, s := range r.Snapshot.Skipped {
			if i, ok := skip[s.EntryKey]; ok {
				m.rec.Skipped[i].Count += s.Count
				continue
			}
			skip[s.EntryKey] = len(m.rec.Skipped)
			m.rec.Skipped = append(m.rec.Skipped, s)
		}
	}
	slices.SortFunc(m.rec.Exceptions, func(a, b results.ExceptionStats) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Message, b.Message), cmp.Compare(a.Traceback, b.Traceback))
	})
	slices.SortFunc(m.rec.Skipped, func(a, b results.SkippedStats) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Method, b.Method))
	})
}

// history aligns the sources' rows on whole seconds. At each second, a
// source that has started contributes its latest row: its rates and users
// while it runs, its final counts once it has ended.
func (m *merger) history() {
	var seconds []time.Time
	full := true
	for _, r := range m.rs {
		for _, row := range r.Report.History {
			seconds = append(seconds, row.Time.Truncate(time.Second))
		}
		full = full && r.FullHistory()
	}
	slices.SortFunc(seconds, func(a, b time.Time) int { return a.Compare(b) })
	seconds = slices.CompactFunc(seconds, time.Time.Equal)
	next := make([]int, len(m.rs)) // per source, its first row after the current second
	for _, sec := range seconds {
		row := results.RowRecord{Time: sec, Total: results.PointRecord{Key: results.EntryKey{Name: results.AggregatedName}}}
		entries := map[results.EntryKey]*results.PointRecord{}
		for i, r := range m.rs {
			hist := r.Report.History
			for next[i] < len(hist) && !hist[next[i]].Time.Truncate(time.Second).After(sec) {
				next[i]++
			}
			if next[i] == 0 {
				continue // not started yet
			}
			src := &hist[next[i]-1]
			running := next[i] < len(hist) || src.Time.Truncate(time.Second).Equal(sec)
			if running {
				row.Users += src.Users
			}
			addPoint(&row.Total, &src.Aggregated, running)
			if full {
				for j := range src.Entries {
					p := &src.Entries[j]
					k := results.EntryKey{Method: p.Method, Name: p.Name}
					if entries[k] == nil {
						entries[k] = &results.PointRecord{Key: k}
					}
					addPoint(entries[k], p, running)
				}
			}
		}
		for _, p := range entries {
			row.Entries = append(row.Entries, *p)
		}
		m.rec.History = append(m.rec.History, row)
	}
}

// addPoint adds a source's point into a merged one; the source's rates
// count only while it runs.
func addPoint(dst *results.PointRecord, p *report.Point, running bool) {
	src := pointRecord(p)
	if src.Count > 0 {
		if dst.Count == 0 || src.Min < dst.Min {
			dst.Min = src.Min
		}
		dst.Max = max(dst.Max, src.Max)
	}
	dst.Count += src.Count
	dst.Failures += src.Failures
	dst.SumMicros += src.SumMicros
	dst.Bytes += src.Bytes
	if running {
		dst.RPS += src.RPS
		dst.FailPerSec += src.FailPerSec
		dst.WindowCount += src.WindowCount
	}
}

// options are the merged report's: its sources named, their warnings and
// workers kept, their thresholds evaluated again.
func (m *merger) options(snap *results.Snapshot) (report.JSONOptions, error) {
	o := report.JSONOptions{
		Title:       fmt.Sprintf("loadgen: merge of %d results", len(m.rs)),
		FullHistory: true,
	}
	var names []string
	var ths []*threshold.Threshold
	var workers []map[string]any
	for _, r := range m.rs {
		rep := r.Report
		names = append(names, r.Name)
		o.Sources = append(o.Sources, report.Source{
			Name: r.Name, Start: rep.Start, End: rep.End, DurationS: rep.DurationS,
			Requests: rep.Aggregated.Count, Failures: rep.Aggregated.Failures, RPS: rep.Aggregated.RPS,
			Users: rep.Users, Title: rep.Title, Config: rep.Config,
		})
		title := rep.Title
		if title == "" {
			title = "loadgen result"
		}
		o.ConfigItems = append(o.ConfigItems, report.ConfigItem{
			Key:   "Source " + r.Name,
			Value: fmt.Sprintf("%s: %s to %s, %d requests, %.2f req/s", title, stamp(rep.Start), stamp(rep.End), rep.Aggregated.Count, rep.Aggregated.RPS),
		})
		for _, w := range rep.Warnings {
			o.Warnings = append(o.Warnings, r.Name+": "+w)
		}
		hopts, err := r.HTMLOptions()
		if err != nil {
			return o, err
		}
		for _, t := range hopts.Thresholds {
			if t.Threshold != nil && !slices.ContainsFunc(ths, t.Threshold.Equal) {
				ths = append(ths, t.Threshold)
			}
		}
		if len(rep.Workers) > 0 {
			var ws []map[string]any
			if err := json.Unmarshal(rep.Workers, &ws); err != nil {
				return o, fmt.Errorf("%s: workers: %w", r.Name, err)
			}
			for _, w := range ws {
				w["id"] = r.Name + "/" + fmt.Sprint(w["id"])
				workers = append(workers, w)
			}
		}
	}
	o.Warnings = append(o.Warnings, m.warnings...)
	o.Warnings = append(o.Warnings, "merged from "+strings.Join(names, ", ")+": the history's rows hold the sources' summed counts and rates, but no percentiles, which cannot be merged from rows")
	if !overlapAll(m.rs) {
		o.Warnings = append(o.Warnings, "the sources overlap for less than 90% of the merged span: the summed rates describe the time they ran together")
	}
	for _, r := range m.rs {
		o.FullHistory = o.FullHistory && r.FullHistory()
	}
	if len(ths) > 0 {
		rs, _ := threshold.EvaluateAll(ths, snap)
		o.Thresholds = rs
	}
	if workers != nil {
		o.Workers = workers
	}
	return o, nil
}

// overlapAll reports whether the sources ran together for at least 90 %
// of the span from the first start to the last end.
func overlapAll(rs []*Result) bool {
	first, last := rs[0].Report.Start, rs[0].Report.End
	late, early := first, last
	for _, r := range rs {
		first, last = minTime(first, r.Report.Start), maxTime(last, r.Report.End)
		late, early = maxTime(late, r.Report.Start), minTime(early, r.Report.End)
	}
	span := last.Sub(first)
	return span <= 0 || float64(early.Sub(late)) >= 0.9*float64(span)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
