// Command loadgen runs HTTP load tests: weighted simulated users, exact HDR
// percentiles, Locust-compatible flags, tables and CSV files. Without --host
// it starts an album service in-process and tests that.
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
)

// version is set at build time by the Makefile.
var version = "dev"

// Exit codes. exitFailures is only the default of --exit-code-on-error.
const (
	exitOK       = 0
	exitFailures = 1
	exitUsage    = 2
	// exitThreshold wins over exitFailures: a breached threshold is what
	// a CI job asked to be told about.
	exitThreshold = 3
	exitInternal  = 4
	// exitUnreachable: a worker gave up on reaching its coordinator.
	exitUnreachable = 5
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.LookupEnv, isTerminal: isTerminal(os.Stderr), self: selfCommand}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// selfCommand runs this binary again, for commands that measure runs in
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
		code, err = runCoordinator(ctx, e, args[1:])
	case "worker":
		code, err = runWorker(ctx, e, args[1:])
	case "report":
		code, err = runReport(ctx, e, args[1:])
	case "merge":
		code, err = runMerge(ctx, e, args[1:])
	default:
		code, err = runTest(ctx, e, args)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "loadgen: %v\n", err)
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		if code == exitOK {
			code = exitInternal
		}
	}
	return code
}
