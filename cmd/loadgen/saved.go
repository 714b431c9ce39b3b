package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/saved"
)

// savedOutputs registers the output flags of report and merge.
func savedOutputs(fs *pflag.FlagSet, o *saved.Outputs, json bool) {
	if json {
		fs.StringVar(&o.JSON, "json", "", "write the result as JSON to this file")
	}
	fs.StringVar(&o.HTML, "html", "", "write the HTML report to this file")
	fs.StringVar(&o.CSVPrefix, "csv", "", "write Locust's CSV files with this prefix")
	fs.BoolVar(&o.CSV.FullHistory, "csv-full-history", false, "per-entry rows in the history CSV (the result must have them)")
	fs.BoolVar(&o.CSV.Precise, "csv-precise", false, "keep the microseconds in the CSV files' times")
}

// runReport renders a saved JSON result again.
func runReport(_ context.Context, e env, args []string) (int, error) {
	var out saved.Outputs
	fs, err := parseFlags("loadgen report", args, e.getenv, e.stderr, func(fs *pflag.FlagSet) { savedOutputs(fs, &out, false) })
	if err != nil {
		if isHelp(err) {
			fmt.Fprintf(e.stderr, "Usage: loadgen report RESULT.json [--html FILE] [--csv PREFIX]\n\nRenders a saved result (written by --json or merge) again: the tables on stdout, and the HTML report and CSV files as the run wrote them.\n\nFlags:\n%s", fs.FlagUsages())
			return exitOK, nil
		}
		return exitUsage, err
	}
	if fs.NArg() != 1 {
		return exitUsage, usagef("report takes one result file, got %d arguments (see loadgen report --help)", fs.NArg())
	}
	r, err := saved.Open(fs.Arg(0))
	if err != nil {
		return exitUsage, usagef("%v", err)
	}
	return exitOK, renderSaved(e, r, out)
}

// runMerge merges saved JSON results of runs that went on together.
func runMerge(_ context.Context, e env, args []string) (int, error) {
	var out saved.Outputs
	fs, err := parseFlags("loadgen merge", args, e.getenv, e.stderr, func(fs *pflag.FlagSet) { savedOutputs(fs, &out, true) })
	if err != nil {
		if isHelp(err) {
			fmt.Fprintf(e.stderr, "Usage: loadgen merge A.json B.json ... --json OUT [--html FILE] [--csv PREFIX]\n\nMerges the results of runs that went on at the same time, as if one process had made every request: exact percentiles, summed rates, each source named.\n\nFlags:\n%s", fs.FlagUsages())
			return exitOK, nil
		}
		return exitUsage, err
	}
	if fs.NArg() < 2 {
		return exitUsage, usagef("merge takes at least two result files, got %d (see loadgen merge --help)", fs.NArg())
	}
	var rs []*saved.Result
	for _, path := range fs.Args() {
		r, err := saved.Open(path)
		if err != nil {
			return exitUsage, usagef("%v", err)
		}
		rs = append(rs, r)
	}
	m, err := saved.Merge(rs)
	if err != nil {
		return exitUsage, usagef("%v", err)
	}
	return exitOK, renderSaved(e, m, out)
}

// renderSaved prints a saved result's tables and writes its files.
func renderSaved(e env, r *saved.Result, out saved.Outputs) error {
	if err := report.WriteSummary(e.stdout, r.Snapshot); err != nil {
		return err
	}
	if err := report.WriteSecondarySeries(e.stdout, r.Snapshot); err != nil {
		return err
	}
	for _, w := range r.Report.Warnings {
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	return saved.Render(r, out)
}
