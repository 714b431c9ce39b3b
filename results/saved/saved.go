// Package saved reads saved JSON results back as input: it rebuilds the
// snapshot a result was written from, so that the reports of results/report
// render it again exactly as the run did (the HTML page, the CSV files, the
// JSON itself), and it merges the results of separate runs, such as one
// test driven from several machines, with exact percentiles.
//
// It never parses flags, prints or exits: loadgen's `report` and `merge`
// commands are thin wiring around Open, Merge and the renderers.
package saved

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// Result is a saved result read back: its JSON report and the snapshot
// rebuilt from it.
type Result struct {
	// Name is how the result was given, such as its file name; errors and
	// merged results name it.
	Name string
	// Report is the document as read.
	Report *report.Report
	// Snapshot is rebuilt from the report, so that every renderer draws
	// the same tables, charts and files as from the run's own snapshot.
	Snapshot *results.Snapshot
}

// Open reads the JSON result at path.
func Open(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(path, f)
}

// Read reads a JSON result (results/SCHEMA.md) named name from r.
func Read(name string, r io.Reader) (*Result, error) {
	rep, err := report.ReadJSON(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	snap, err := restore(rep)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Result{Name: name, Report: rep, Snapshot: snap}, nil
}

// FullHistory reports whether the result's history has per-entry points,
// as a run with --csv-full-history writes it.
func (r *Result) FullHistory() bool {
	for _, row := range r.Report.History {
		if len(row.Entries) > 0 {
			return true
		}
	}
	return false
}

// HTMLOptions are the options the run's HTML report was written with, as
// far as the result recorded them: title, configuration, warnings,
// thresholds and workers.
func (r *Result) HTMLOptions() (report.HTMLOptions, error) {
	rep := r.Report
	o := report.HTMLOptions{Title: rep.Title, Config: rep.ConfigItems, Warnings: rep.Warnings}
	if len(rep.Thresholds) > 0 {
		if err := json.Unmarshal(rep.Thresholds, &o.Thresholds); err != nil {
			return o, fmt.Errorf("%s: thresholds: %w", r.Name, err)
		}
	}
	if len(rep.Workers) > 0 {
		if err := json.Unmarshal(rep.Workers, &o.Workers); err != nil {
			return o, fmt.Errorf("%s: workers: %w", r.Name, err)
		}
	}
	return o, nil
}

// JSONOptions are the options that write the result again as it was.
func (r *Result) JSONOptions() report.JSONOptions {
	rep := r.Report
	o := report.JSONOptions{
		Warnings: rep.Warnings, FullHistory: r.FullHistory(),
		Title: rep.Title, ConfigItems: rep.ConfigItems, Sources: rep.Sources,
	}
	// Raw sections are written back as recorded; a nil RawMessage would
	// become "null".
	if len(rep.Config) > 0 {
		o.Config = rep.Config
	}
	if len(rep.Thresholds) > 0 {
		o.Thresholds = rep.Thresholds
	}
	if len(rep.Workers) > 0 {
		o.Workers = rep.Workers
	}
	return o
}

// restore rebuilds the snapshot a report was written from.
func restore(rep *report.Report) (*results.Snapshot, error) {
	rec := results.SnapshotRecord{
		Start: rep.Start, Now: rep.End, Users: rep.Users,
		Window: time.Duration(math.Round(rep.WindowS * float64(time.Second))),
	}
	var err error
	for i := range rep.Entries {
		er, err := entryRecord(&rep.Entries[i])
		if err != nil {
			return nil, err
		}
		rec.Entries = append(rec.Entries, er)
	}
	if rec.Total, err = entryRecord(&rep.Aggregated); err != nil {
		return nil, err
	}
	for _, e := range rep.Errors {
		rec.Errors = append(rec.Errors, results.ErrorStats{
			ErrorKey: results.ErrorKey{Method: e.Method, Name: e.Name, Error: e.Error},
			Count:    e.Occurrences, FirstSeen: e.FirstSeen, LastSeen: e.LastSeen,
		})
	}
	for _, e := range rep.Exceptions {
		rec.Exceptions = append(rec.Exceptions, results.ExceptionStats{
			ExceptionKey: results.ExceptionKey{Message: e.Message, Traceback: e.Traceback}, Count: e.Count, Nodes: e.Nodes,
		})
	}
	for _, e := range rep.Skipped {
		rec.Skipped = append(rec.Skipped, results.SkippedStats{EntryKey: results.EntryKey{Method: e.Method, Name: e.Name}, Count: e.Count})
	}
	if a := rep.Abandoned; a != nil {
		rec.Abandoned = results.AbandonedStats{Count: a.Count, Oldest: time.Duration(math.Round(a.OldestMs * float64(time.Millisecond)))}
	}
	if p := rep.Pauses; p != nil {
		rec.Pauses = results.PauseStats{Count: p.Count, Total: duration(p.TotalMs), Max: duration(p.MaxMs)}
	}
	for _, row := range rep.History {
		rr := results.RowRecord{Time: row.Time, Users: row.Users, Total: pointRecord(&row.Aggregated)}
		rr.Total.Key = results.EntryKey{Name: results.AggregatedName}
		for i := range row.Entries {
			rr.Entries = append(rr.Entries, pointRecord(&row.Entries[i]))
		}
		rec.History = append(rec.History, rr)
	}
	return results.RestoreSnapshot(&rec)
}

func entryRecord(e *report.Entry) (results.EntryRecord, error) {
	where := func(err error) error { return fmt.Errorf("entry %s %s: %w", e.Method, e.Name, err) }
	lat, err := results.DecodeHistogram(e.HDR)
	if err != nil {
		return results.EntryRecord{}, where(err)
	}
	er := results.EntryRecord{
		Key:   results.EntryKey{Method: e.Method, Name: e.Name},
		Count: e.Count, Failures: e.Failures, Clamped: e.Clamped,
		// The report keeps the mean and the mean size; the sums behind
		// them come back exactly, as whole numbers, for any run whose sums
		// stay far below 2^53.
		SumMicros: int64(math.Round(e.AvgMs * 1000 * float64(e.Count))),
		Bytes:     e.Bytes,
		MinMicros: micros(e.MinMs), MaxMicros: micros(e.MaxMs),
		Latency: lat,
		RPS:     e.RPS, FailPerSec: e.FailPerS, CurrentRPS: e.CurrentRPS, CurrentFailPerSec: e.CurrentFailPerS,
	}
	for _, s := range []struct {
		name   string
		series *report.Series
		dst    **hdrhistogram.PackedHistogram
	}{{"corrected", e.Corrected, &er.Corrected}, {"service", e.Service, &er.Service}} {
		if s.series == nil {
			continue
		}
		h, err := results.DecodeHistogram(s.series.HDR)
		if err != nil {
			return results.EntryRecord{}, where(fmt.Errorf("%s: %w", s.name, err))
		}
		*s.dst = h
	}
	return er, nil
}

func pointRecord(p *report.Point) results.PointRecord {
	pr := results.PointRecord{
		Key:   results.EntryKey{Method: p.Method, Name: p.Name},
		Count: p.Count, Failures: p.Failures,
		SumMicros: int64(math.Round(p.AvgMs * 1000 * float64(p.Count))),
		Bytes:     int64(math.Round(p.AvgBytes * float64(p.Count))),
		RPS:       p.RPS, FailPerSec: p.FailPerS,
		Min: duration(p.MinMs), Max: duration(p.MaxMs),
		WindowCount: p.WindowCount,
		Percentiles: reported(p.Percentiles),
		WindowPcts:  reported(p.WindowPercentiles),
	}
	return pr
}

// reported reads a percentile map back in ReportedPercentiles order; nil
// when the map lacks any of them.
func reported(m report.Percentiles) *[results.NumReportedPercentiles]time.Duration {
	if len(m) == 0 {
		return nil
	}
	var out [results.NumReportedPercentiles]time.Duration
	for i, q := range results.ReportedPercentiles() {
		v, ok := m[results.PercentileKey(q)]
		if !ok {
			return nil
		}
		out[i] = duration(v)
	}
	return &out
}

// micros converts the report's milliseconds back to whole microseconds.
func micros(ms float64) int64 { return int64(math.Round(ms * 1000)) }

// duration converts the report's milliseconds back to a duration, to the
// nanosecond it was written from.
func duration(ms float64) time.Duration { return time.Duration(math.Round(ms * 1e6)) }

// WriteJSON writes the result as a JSON report again.
func (r *Result) WriteJSON(w io.Writer) error {
	return report.WriteJSON(w, r.Snapshot, r.JSONOptions())
}

// Outputs are the files Render writes; empty fields are not written.
type Outputs struct {
	// JSON is the result as a JSON report.
	JSON string
	// HTML is the self-contained HTML report.
	HTML string
	// CSVPrefix writes Locust's four CSV files, PREFIX_stats.csv and so
	// on, with CSV's options (FullHistory needs per-entry history in the
	// result).
	CSVPrefix string
	CSV       report.CSVOptions
	// Stdout is where an output named "-" goes.
	Stdout io.Writer
}

// Render writes the result's outputs, each one atomically, and attempts
// all of them even when one fails, reporting every failure.
func Render(r *Result, out Outputs) error {
	var errs []error
	if out.JSON != "" {
		if err := report.WriteOutput(out.JSON, out.Stdout, r.WriteJSON); err != nil {
			errs = append(errs, err)
		}
	}
	if out.HTML != "" {
		o, err := r.HTMLOptions()
		if err == nil {
			err = report.WriteOutput(out.HTML, out.Stdout, func(w io.Writer) error { return report.WriteHTML(w, r.Snapshot, o) })
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if out.CSVPrefix != "" {
		if out.CSV.FullHistory && !r.FullHistory() {
			errs = append(errs, fmt.Errorf("%s has no per-entry history (the run was not made with --csv-full-history), so the full history cannot be written", r.Name))
		} else if err := report.WriteCSVFiles(out.CSVPrefix, r.Snapshot, out.CSV); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
