package main

import (
	"context"
	"fmt"

	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/saved"
)

// runReport renders a saved JSON result again.
func runReport(_ context.Context, e env, args []string) (int, error) {
	c, _, done, err := parse(e, "report", args)
	if done {
		return usageCode(err), err
	}
	fs := c.Flags
	if fs.NArg() != 1 {
		return exitUsage, cli.Usagef("report takes one result file, got %d arguments (see loadgen report --help)", fs.NArg())
	}
	if err := checkSaved(c.Saved); err != nil {
		return exitUsage, err
	}
	r, err := saved.Open(fs.Arg(0))
	if err != nil {
		return exitUsage, cli.Usagef("%v", err)
	}
	return exitOK, renderSaved(e, r, c.Saved)
}

// runMerge merges saved JSON results of runs that went on together.
func runMerge(_ context.Context, e env, args []string) (int, error) {
	c, _, done, err := parse(e, "merge", args)
	if done {
		return usageCode(err), err
	}
	fs := c.Flags
	if fs.NArg() < 2 {
		return exitUsage, cli.Usagef("merge takes at least two result files, got %d (see loadgen merge --help)", fs.NArg())
	}
	if err := checkSaved(c.Saved); err != nil {
		return exitUsage, err
	}
	var rs []*saved.Result
	for _, path := range fs.Args() {
		r, err := saved.Open(path)
		if err != nil {
			return exitUsage, cli.Usagef("%v", err)
		}
		rs = append(rs, r)
	}
	m, err := saved.Merge(rs)
	if err != nil {
		return exitUsage, cli.Usagef("%v", err)
	}
	return exitOK, renderSaved(e, m, c.Saved)
}

// checkSaved tries report's and merge's outputs before reading anything.
func checkSaved(out saved.Outputs) error {
	return cli.CheckOutputs(cli.Output{Flag: "--json", Path: out.JSON}, cli.Output{Flag: "--html", Path: out.HTML},
		cli.Output{Flag: "--csv", Path: out.CSVPrefix, CSV: true})
}

// renderSaved prints a saved result's tables and writes its files.
func renderSaved(e env, r *saved.Result, out saved.Outputs) error {
	w := tablesOut(e, out.JSON, out.HTML)
	if err := report.WriteSummary(w, r.Snapshot); err != nil {
		return err
	}
	if err := report.WriteSecondarySeries(w, r.Snapshot); err != nil {
		return err
	}
	for _, msg := range r.Report.Warnings {
		fmt.Fprintf(w, "warning: %s\n", msg)
	}
	out.Stdout = e.stdout
	return saved.Render(r, out)
}
