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
