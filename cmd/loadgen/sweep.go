package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/sweep"
	"github.com/loadgen/loadgen/results/report"
	"github.com/loadgen/loadgen/results/scaling"
)

// runCompare runs the same test once per client, with the same seed and
// duration and a cool-down between, and prints them side by side.
func runCompare(ctx context.Context, e env, args []string) (int, error) {
	c, set, done, err := parse(e, "compare", args)
	if done {
		return usageCode(err), err
	}
	spec, err := c.Spec(set, version, cli.Overrides{})
	if err != nil {
		return exitUsage, err
	}
	var kinds []string
	for _, k := range strings.Split(c.Compare.Clients, ",") {
		if k = strings.TrimSpace(k); !slices.Contains(client.Kinds(), k) {
			return exitUsage, cli.Usagef("--clients: unknown client %q", k)
		}
		kinds = append(kinds, k)
	}
	if c.Compare.Cooldown < 0 {
		return exitUsage, cli.Usagef("--cooldown %v: must not be negative", c.Compare.Cooldown)
	}
	if err := cli.CheckOutputs(cli.Output{Flag: "--json", Path: c.Run.JSON}); err != nil {
		return exitUsage, err
	}
	opts := sweepOptions(e, c, set)
	if opts.RunArgs, err = compareOutputs(c, kinds); err != nil {
		return exitUsage, err
	}
	cmp, err := sweep.Compare(ctx, spec, kinds, c.Compare.Cooldown, opts)
	if err != nil {
		return exitInternal, err
	}
	if err := report.WriteComparison(tablesOut(e, c.Run.JSON), cmp.Runs); err != nil {
		return exitInternal, err
	}
	if err := writeJSON(c.Run.JSON, e.stdout, cmp); err != nil {
		return exitInternal, err
	}
	var codes []int
	for _, r := range cmp.Runs {
		codes = append(codes, r.ExitCode)
	}
	return sweep.ExitCode(codes), nil
}

// compareOutput is an output flag of a run that a comparison hands to
// each client's run, under a name of its own.
type compareOutput struct {
	flag, path string
	csv        bool // a prefix, not a file
}

// clientPath is where the run of kind writes: path with the client's
// name added, before the extension of a file.
func (o compareOutput) clientPath(kind string) string {
	if o.csv {
		return o.path + "-" + kind
	}
	ext := filepath.Ext(o.path)
	return strings.TrimSuffix(o.path, ext) + "-" + kind + ext
}

// compareOutputs checks the output flags of a comparison, whose runs
// each write their own files, and returns the flags of each client's run.
// What cannot be split by client is refused, never ignored.
func compareOutputs(c *cli.Command, kinds []string) (func(kind string) []string, error) {
	if c.Run.Metrics != "" {
		return nil, cli.Usagef("--metrics %s: compare runs each client in turn in a process of its own, so one endpoint cannot follow them; watch one client's run with loadgen --client %s --metrics %s", c.Run.Metrics, kinds[0], c.Run.Metrics)
	}
	outs := []compareOutput{{"--csv", c.Run.CSV, true}, {"--html", c.Web.HTML, false}, {"--hdr-log", c.Run.HDRLog, false}, {"--jsonl", c.Run.JSONL, false}}
	var check []cli.Output
	for _, o := range outs {
		switch o.path {
		case "":
			continue
		case report.Stdout:
			return nil, cli.Usagef("%s -: compare writes one per client, so it needs a path, to which each client's name is added (out/run: %s)",
				o.flag, compareOutput{o.flag, "out/run", o.csv}.clientPath(kinds[0]))
		}
		for _, k := range kinds {
			check = append(check, cli.Output{Flag: o.flag, Path: o.clientPath(k), CSV: o.csv})
		}
	}
	if err := cli.CheckOutputs(check...); err != nil {
		return nil, err
	}
	return func(kind string) []string {
		var args []string
		for _, o := range outs {
			if o.path != "" {
				args = append(args, o.flag+"="+o.clientPath(kind))
			}
		}
		return args
	}, nil
}

// runScale runs one measured step per value of a dimension, each in a
// child process after a warm-up that is not counted, then fits Amdahl's
// law and the USL to the throughputs and draws them.
func runScale(ctx context.Context, e env, args []string) (int, error) {
	c, set, done, err := parse(e, "scale", args)
	if done {
		return usageCode(err), err
	}
	over, err := sweep.ParseOver(c.Scale.Over)
	if err != nil {
		return exitUsage, cli.UsageError{Err: err}
	}
	steps := sweep.Steps{Warmup: c.Run.Warmup, Step: c.Scale.Step, Cooldown: c.Scale.Cooldown}
	if steps.Warmup < 0 || steps.Step <= 0 || steps.Cooldown < 0 {
		return exitUsage, cli.Usagef("--warmup, --step and --cooldown: need warmup >= 0, step > 0, cooldown >= 0 (got %v, %v, %v)", steps.Warmup, steps.Step, steps.Cooldown)
	}
	if set.Given(over.Dimension) {
		return exitUsage, cli.Usagef("--over %s=... and --%s both set the same thing; drop one", over.Dimension, over.Dimension)
	}
	// The steps set the warm-up and the run time; the Spec checks the rest.
	c.Run.Warmup, c.Run.RunTime = 0, (steps.Warmup + steps.Step).String()
	spec, err := c.Spec(set, version, cli.Overrides{})
	if err != nil {
		return exitUsage, err
	}
	if over.Dimension == "store" && !spec.Embedded() {
		return exitUsage, cli.Usagef("--over store=... sweeps the embedded album service's stores; it cannot be used with --host")
	}
	// What streams one run cannot follow the steps' child processes.
	for _, o := range []compareOutput{{"--hdr-log", c.Run.HDRLog, false}, {"--jsonl", c.Run.JSONL, false}, {"--metrics", c.Run.Metrics, false}} {
		if o.path != "" {
			return exitUsage, cli.Usagef("%s %s: scale runs each step in a process of its own, and writes the sweep, not the steps' intervals; watch one step with loadgen --%s %s %s", o.flag, o.path, over.Dimension, over.Values[0], o.flag+" "+o.path)
		}
	}
	// The sweep's --csv is one file, not Locust's four.
	if err := cli.CheckOutputs(cli.Output{Flag: "--json", Path: c.Run.JSON}, cli.Output{Flag: "--csv", Path: c.Run.CSV}, cli.Output{Flag: "--html", Path: c.Scale.HTML}); err != nil {
		return exitUsage, err
	}
	res, err := sweep.Scale(ctx, spec, over, steps, sweepOptions(e, c, set))
	if err != nil {
		return exitInternal, err
	}
	if err := writeSweep(e, c, res); err != nil {
		return exitInternal, err
	}
	var codes []int
	for _, st := range res.Steps {
		codes = append(codes, st.ExitCode)
	}
	return sweep.ExitCode(codes), nil
}

// writeSweep draws the sweep's charts beside --json, --csv or --html (or
// in the current directory), prints it and writes its files.
func writeSweep(e env, c *cli.Command, res *scaling.Sweep) error {
	base := "scale-" + res.Dimension
	for _, p := range []string{c.Run.JSON, c.Run.CSV, c.Scale.HTML} {
		if p != "" && p != report.Stdout {
			base = strings.TrimSuffix(p, filepath.Ext(p))
			break
		}
	}
	w := tablesOut(e, c.Run.JSON, c.Run.CSV, c.Scale.HTML)
	var err error
	if res.Charts, err = report.WriteSweepCharts(base, res); err != nil {
		return err
	}
	if err := report.WriteSweepTable(w, res); err != nil {
		return err
	}
	if f := c.Run.CSV; f != "" {
		if err := report.WriteOutput(f, e.stdout, func(w io.Writer) error { return report.WriteSweepCSV(w, res) }); err != nil {
			return fmt.Errorf("--csv %s: %w", f, err)
		}
	}
	if f := c.Scale.HTML; f != "" {
		if err := report.WriteOutput(f, e.stdout, func(w io.Writer) error { return report.WriteSweepHTML(w, res) }); err != nil {
			return fmt.Errorf("--html %s: %w", f, err)
		}
	}
	return writeJSON(c.Run.JSON, e.stdout, res)
}

// tablesOut is where a command's tables go: stdout, unless one of its
// outputs goes there ("-").
func tablesOut(e env, outputs ...string) io.Writer {
	if slices.Contains(outputs, report.Stdout) {
		return e.stderr
	}
	return e.stdout
}

// sweepOptions run each child with the flags that say how a test runs.
func sweepOptions(e env, c *cli.Command, set *cli.Settings) sweep.Options {
	var args []string
	for _, flag := range []string{"loglevel", "exit-code-on-error", "csv-full-history", "csv-precise", "hdr-log-interval"} {
		if set.Given(flag) {
			args = append(args, "--"+flag+"="+c.Flags.Lookup(flag).Value.String())
		}
	}
	if c.Fleet.Workers > 0 {
		args = append(args, fmt.Sprintf("--workers=%d", c.Fleet.Workers))
	}
	return sweep.Options{Command: e.self, Args: args, Progress: e.stderr}
}

// writeJSON writes v as indented JSON to path, when there is one.
func writeJSON(path string, stdout io.Writer, v any) error {
	if path == "" {
		return nil
	}
	err := report.WriteOutput(path, stdout, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	})
	if err != nil {
		return fmt.Errorf("--json %s: %w", path, err)
	}
	return nil
}
