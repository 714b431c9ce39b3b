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
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// env is what a command reads from outside its arguments.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) (string, bool)
	// isTerminal reports whether stderr is a terminal, for the progress line.
	isTerminal bool
}

// run is main without the process: it returns the exit code, so tests can
// call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) (string, bool)) int {
	e := env{stdout: stdout, stderr: stderr, getenv: getenv, isTerminal: isTerminal(stderr)}
	var err error
	code := exitOK
	switch {
	default:
		code, err = runTest(ctx, e, args)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen: %v\n", err)
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
