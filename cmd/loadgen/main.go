// Command loadgen runs HTTP load tests: weighted simulated users, exact HDR
// percentiles, Locust-compatible flags, tables and CSV files. Without --host
// it starts an album service in-process and tests that. It is wiring: the
// command line is loadgen/cli, the runs loadgen and loadgen/control, the
// outputs loadgen/output.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen/cli"
)

// version is set at build time by the Makefile.
var version = "dev"

// Exit codes, as cli defines them.
const (
	exitOK          = cli.ExitOK
	exitFailures    = cli.ExitFailures
	exitUsage       = cli.ExitUsage
	exitThreshold   = cli.ExitThreshold
	exitInternal    = cli.ExitInternal
	exitUnreachable = cli.ExitUnreachable
	exitIncomplete  = cli.ExitIncomplete
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv, isTerminal: isTerminal(os.Stderr), self: selfCommand}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// selfCommand runs this binary again, for commands that run tests in
// child processes of their own.
func selfCommand(args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding this program to run it again: %w", err)
	}
	return exec.Command(exe, args...), nil
}

// env is what a command reads from outside its arguments.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
	// isTerminal reports whether stderr is a terminal, for the progress line.
	isTerminal bool
	// self makes a command that runs loadgen with other arguments.
	self func(args ...string) (*exec.Cmd, error)
}

// run is main without the process: it returns the exit code, so tests can
// call it.
func run(ctx context.Context, e env, args []string) int {
	var err error
	code := exitOK
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "compare":
		code, err = runCompare(ctx, e, args[1:])
	case "scale":
		code, err = runScale(ctx, e, args[1:])
	case "coordinator":
		code, err = runTest(ctx, e, "coordinator", args[1:])
	case "worker":
		code, err = runWorker(ctx, e, args[1:])
	case "report":
		code, err = runReport(ctx, e, args[1:])
	case "merge":
		code, err = runMerge(ctx, e, args[1:])
	default:
		code, err = runTest(ctx, e, "", args)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "loadgen: %v\n", err)
		var ue cli.UsageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		if code == exitOK {
			code = exitInternal
		}
	}
	return code
}

// parse parses a command's arguments; done is set when there is nothing
// more to do (--help, --version, a mistake).
func parse(e env, sub string, args []string) (c *cli.Command, set *cli.Settings, done bool, err error) {
	if c, err = cli.NewCommand(sub); err != nil {
		return nil, nil, true, err
	}
	set, err = c.Parse(args, e.getenv)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(e.stderr, c.Help())
		return c, set, true, nil
	case err != nil:
		return c, set, true, err
	case c.ShowVersion:
		fmt.Fprintf(e.stdout, "loadgen %s\n", version)
		return c, set, true, nil
	}
	return c, set, false, nil
}

// usageCode is the exit code of a command that ended while parsing: a
// mistake, or --help or --version.
func usageCode(err error) int {
	if err != nil {
		return exitUsage
	}
	return exitOK
}
