// Package output renders a run's Result the one way every front end
// shows it: the final tables and the line for scripts, the Locust CSV
// files, the JSON and HTML reports with the run's configuration, the
// worker table, and the live display while it runs. The command line
// writes them at the end of a run and the web UI serves them, so the two
// say the same thing about the same run.
package output

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/threshold"
)

// Files are where a finished run's files go; an empty name writes none.
type Files struct {
	// CSV is the prefix of Locust's four CSV files; Precise writes their
	// medians and percentiles with microseconds.
	CSV     string
	Precise bool
	JSON    string
	HTML    string
	// Stdout is where a file named "-" goes.
	Stdout io.Writer
}

// Write prints a finished run's final tables to w, and writes its files.
// Every file is attempted even when one fails, so a full disk for one
// output does not cost the others. version is loadgen's, for the reports.
func Write(w io.Writer, res *loadgen.Result, files Files, version string) error {
	var errs []error
	if err := Tables(w, res); err != nil {
		errs = append(errs, err)
	}
	if f := files.CSV; f != "" {
		o := report.CSVOptions{FullHistory: res.Spec.EntryHistory, Precise: files.Precise}
		if err := report.WriteCSVFiles(f, res.Snapshot, o); err != nil {
			errs = append(errs, fmt.Errorf("--csv %s: %w", f, err))
		}
	}
	if f := files.JSON; f != "" {
		if err := report.WriteOutput(f, files.Stdout, func(w io.Writer) error { return JSON(w, res, version) }); err != nil {
			errs = append(errs, fmt.Errorf("--json %s: %w", f, err))
		}
	}
	if f := files.HTML; f != "" {
		if err := report.WriteOutput(f, files.Stdout, func(w io.Writer) error { return HTML(w, res, version) }); err != nil {
			errs = append(errs, fmt.Errorf("--html %s: %w", f, err))
		}
	}
	return errors.Join(errs...)
}

// Tables prints the final tables: statistics, percentiles, errors, the
// open model's counts, the worker table and warnings, the thresholds, the
// CPU spent, and last the line for scripts.
func Tables(w io.Writer, res *loadgen.Result) error {
	snap := res.Snapshot
	var errs []error
	if err := report.WriteSummary(w, snap); err != nil {
		errs = append(errs, fmt.Errorf("writing the summary: %w", err))
	}
	if err := report.WriteSecondarySeries(w, snap); err != nil {
		errs = append(errs, fmt.Errorf("writing the secondary series: %w", err))
	}
	if st := res.Open; st != nil {
		fmt.Fprintf(w, "\nOpen model: %d scheduled, %d sent, %d late (>%v), %d dropped (>%v behind), %d abandoned at the end; at most %d in flight (cap %d), latest send %v behind\n",
			st.Scheduled, st.Sent, st.Late, st.LateAfter, st.Dropped, st.MaxLag, st.Abandoned, st.Slots, st.MaxInFlight, st.MaxLate.Round(time.Microsecond))
	}
	if p := snap.Pauses; p.Count > 0 {
		fmt.Fprintf(w, "\nGenerator pauses: %d of more than %v, the longest %v, %v in all; requests in flight then have them in their latencies, and an open-model schedule fell behind by them\n",
			p.Count, loadgen.PauseThreshold, p.Max.Round(time.Millisecond), p.Total.Round(time.Millisecond))
	}
	if res.Workers != nil {
		fmt.Fprintln(w)
		if err := Workers(w, res.Workers, snap.Now); err != nil {
			errs = append(errs, fmt.Errorf("writing the worker table: %w", err))
		}
	}
	if len(res.Warnings) > 0 {
		fmt.Fprintln(w)
		for _, msg := range res.Warnings {
			fmt.Fprintf(w, "warning: %s\n", msg)
		}
	}
	if len(res.Thresholds) > 0 {
		fmt.Fprintln(w)
		if err := threshold.WriteSummary(w, res.Thresholds); err != nil {
			errs = append(errs, fmt.Errorf("writing the threshold summary: %w", err))
		}
	}
	var parts []string
	if res.LocalWorkers > 0 {
		parts = append(parts, "includes the workers this process started")
	}
	if res.Embedded {
		parts = append(parts, "this process also ran the embedded album service")
	}
	note := ""
	if len(parts) > 0 {
		note = " (" + strings.Join(parts, "; ") + ")"
	}
	cpu := res.CPUPerRequest()
	fmt.Fprintf(w, "Target: %s\n", Target(res))
	fmt.Fprintf(w, "Process CPU: %.2f s, %.1f us per request%s\n", res.CPU.Seconds(), cpu, note)
	// One machine-readable line, last, for scripts and benchmark harnesses.
	fmt.Fprintf(w, "requests=%d errors=%d rps=%.1f p50_ms=%s p99_ms=%s cpu_us_per_req=%.1f\n",
		snap.Total.Count(), snap.Total.Failures(), snap.Total.TotalRPS(),
		report.Millis(snap.Total.Percentile(0.5)), report.Millis(snap.Total.Percentile(0.99)), cpu)
	return errors.Join(errs...)
}

// JSON writes the run's JSON report (results/SCHEMA.md).
func JSON(w io.Writer, res *loadgen.Result, version string) error {
	opts := report.JSONOptions{
		Config: Config(res, version), FullHistory: res.Spec.EntryHistory, Warnings: res.Warnings,
		// What the HTML report shows, so that loadgen report renders it again.
		Title: Title(res), ConfigItems: ConfigItems(res, version),
	}
	if len(res.Thresholds) > 0 {
		opts.Thresholds = res.Thresholds
	}
	if res.Workers != nil {
		opts.Workers = res.Workers
	}
	return report.WriteJSON(w, res.Snapshot, opts)
}

// HTML writes the run's self-contained HTML report.
func HTML(w io.Writer, res *loadgen.Result, version string) error {
	return report.WriteHTML(w, res.Snapshot, report.HTMLOptions{
		Title:      Title(res),
		Config:     ConfigItems(res, version),
		Warnings:   res.Warnings,
		Thresholds: res.Thresholds,
		Workers:    res.Workers,
	})
}

// Title heads a run's HTML report.
func Title(res *loadgen.Result) string { return "loadgen report: " + res.Name }
