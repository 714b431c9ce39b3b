package main

import (
	"context"
	"io"
	"log/slog"
	"os/exec"

	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/locust"
	"github.com/loadgen/loadgen/loadgen/observe"
	"github.com/loadgen/loadgen/loadgen/output"
)

// runTest is a load test: the default command, in this process or, with
// --workers, on worker processes of its own; or the coordinator command,
// whose workers join from elsewhere. With --web it serves the web UI,
// which starts the runs.
func runTest(ctx context.Context, e env, sub string, args []string) (int, error) {
	t, code, err := prepareTest(e, sub, args)
	if t == nil {
		return code, err
	}
	defer t.closeLog()
	if t.c.Web.Web {
		return serveWeb(ctx, e, t)
	}
	log, out, spec := t.log, t.out, t.spec
	live := output.NewLive(e.stderr, e.isTerminal, spec.RunTime, out.PrintInterval, out.Quiet)
	watch, err := watcher(out, spec, e.stdout, log)
	if err != nil {
		return exitUsage, err
	}
	hooks := watch.Hooks(loadgen.Hooks{OnTick: live.Tick, Logger: log, Window: out.Window})
	r, err := loadgen.Start(ctx, t.engine, spec, hooks)
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
	code, err = finish(e, log, res, out)
	// After the files: a last scrape of the metrics may take a while.
	if werr := watch.Close(ctx, res); werr != nil && err == nil {
		return exitInternal, werr
	}
	return code, err
}

// testSetup is a test command parsed and checked, with its log open.
type testSetup struct {
	c        *cli.Command
	set      *cli.Settings
	spec     *loadgen.Spec
	out      *cli.Outputs
	engine   loadgen.Engine
	log      *slog.Logger
	closeLog func() error
}

// prepareTest parses and checks a test command and opens its log, which
// first says which config files the settings came from. A nil setup
// means there is nothing more to do: the code and error say why.
func prepareTest(e env, sub string, args []string) (*testSetup, int, error) {
	c, set, done, err := parse(e, sub, args)
	if done {
		return nil, usageCode(err), err
	}
	t := &testSetup{c: c, set: set}
	if t.spec, err = c.Spec(set, version, cli.Overrides{}); err != nil {
		return nil, exitUsage, err
	}
	if t.out, err = c.Outputs(); err != nil {
		return nil, exitUsage, err
	}
	if t.engine, err = c.Engine(t.spec, workerCommand(e, t.out), version); err != nil {
		return nil, exitUsage, err
	}
	if err := c.CheckWeb(set); err != nil {
		return nil, exitUsage, err
	}
	if t.log, t.closeLog, err = logging.Open(e.stderr, t.out.LogFile, t.out.Level); err != nil {
		return nil, exitUsage, cli.UsageError{Err: err}
	}
	for _, f := range c.ConfigFilesRead {
		t.log.Info("config file read", "file", f)
	}
	return t, exitOK, nil
}

// watcher opens what watches the run from outside: --hdr-log, --jsonl
// and --metrics.
func watcher(out *cli.Outputs, spec *loadgen.Spec, stdout io.Writer, log *slog.Logger) (*observe.Watcher, error) {
	o := out.Watch
	o.Warmup = spec.Warmup
	o.CSVOptions.FullHistory = spec.EntryHistory
	o.Stdout = stdout
	w, err := observe.Open(o, log)
	if err != nil {
		return nil, cli.UsageError{Err: err}
	}
	return w, nil
}

// finish writes a finished run's tables and files and decides its exit
// code, which it logs first, in Locust's words.
func finish(e env, log *slog.Logger, res *loadgen.Result, out *cli.Outputs) (int, error) {
	code := cli.ExitCode(res, out.ExitCodeOnError)
	log.Info(locust.ShuttingDown(code))
	files, tables := out.Files, e.stdout
	files.Stdout = e.stdout
	if out.Stdout {
		// Stdout is the output's alone.
		tables = e.stderr
	}
	if err := output.Write(tables, res, files, version); err != nil {
		return exitInternal, err
	}
	return code, nil
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
