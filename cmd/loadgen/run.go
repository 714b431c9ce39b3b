package main

import (
	"context"
	"io"
	"log/slog"
	"os/exec"

	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/observe"
	"github.com/loadgen/loadgen/loadgen/output"
)

// runTest is a load test: the default command, in this process or, with
// --workers, on worker processes of its own; or the coordinator command,
// whose workers join from elsewhere. With --web it serves the web UI,
// which starts the runs.
func runTest(ctx context.Context, e env, sub string, args []string) (int, error) {
	c, set, done, err := parse(e, sub, args)
	if done {
		return usageCode(err), err
	}
	spec, err := c.Spec(set, version, cli.Overrides{})
	if err != nil {
		return exitUsage, err
	}
	out, err := c.Outputs()
	if err != nil {
		return exitUsage, err
	}
	engine, err := c.Engine(spec, workerCommand(e, out), version)
	if err != nil {
		return exitUsage, err
	}
	if err := c.CheckWeb(set); err != nil {
		return exitUsage, err
	}
	if c.Web.Web {
		return serveWeb(ctx, e, c, set, spec, engine, out)
	}
	log := logging.New(e.stderr, out.Level)
	live := output.NewLive(e.stderr, e.isTerminal, spec.RunTime, out.PrintInterval, out.Quiet)
	watch, err := watcher(out, spec, e.stdout, log)
	if err != nil {
		return exitUsage, err
	}
	hooks := watch.Hooks(loadgen.Hooks{OnTick: live.Tick, Logger: log, Window: out.Window})
	r, err := loadgen.Start(ctx, engine, spec, hooks)
	if err != nil {
		watch.Close(ctx, nil)
		return exitInternal, err
	}
	res, err := r.Wait()
	live.Done()
	if err != nil {
		watch.Close(ctx, nil)
		return exitInternal, err
	}
	code, err := finish(e, res, out)
	// After the files: a last scrape of the metrics may take a while.
	if werr := watch.Close(ctx, res); werr != nil && err == nil {
		return exitInternal, werr
	}
	return code, err
}

// watcher opens what watches the run from outside: --hdr-log, --jsonl
// and --metrics.
func watcher(out *cli.Outputs, spec *loadgen.Spec, stdout io.Writer, log *slog.Logger) (*observe.Watcher, error) {
	o := out.Watch
	o.Warmup = spec.Warmup
	o.Stdout = stdout
	w, err := observe.Open(o, log)
	if err != nil {
		return nil, cli.UsageError{Err: err}
	}
	return w, nil
}

// finish writes a finished run's tables and files and decides its exit
// code.
func finish(e env, res *loadgen.Result, out *cli.Outputs) (int, error) {
	files, tables := out.Files, e.stdout
	files.Stdout = e.stdout
	if out.Stdout {
		// Stdout is the output's alone.
		tables = e.stderr
	}
	if err := output.Write(tables, res, files, version); err != nil {
		return exitInternal, err
	}
	return cli.ExitCode(res, out.ExitCodeOnError), nil
}

// workerCommand makes the worker processes of a --workers run: this
// program again, whose routine messages would drown the tables; their
// warnings and errors still show.
func workerCommand(e env, out *cli.Outputs) func(url string) (*exec.Cmd, error) {
	return func(url string) (*exec.Cmd, error) {
		level := logging.Name(logging.Quiet(out.Level))
		cmd, err := e.self("worker", "--coordinator", url, "--connect-timeout", "10s", "--loglevel", level)
		if err != nil {
			return nil, err
		}
		cmd.Stdout, cmd.Stderr = e.stderr, e.stderr
		return cmd, nil
	}
}
