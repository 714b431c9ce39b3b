package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/loadgen/loadgen/internal/procstat"
	"github.com/loadgen/loadgen/results/report"
)

// childRun is a load test that ran in a child process of this one, so that
// its CPU time and peak memory are its own.
type childRun struct {
	exitCode int
	cpu      time.Duration
	maxRSSKB int64
	wall     time.Duration
	// data is the child's JSON result, and rep the same decoded.
	data []byte
	rep  *report.Report
}

// runChild runs loadgen with args, which must write the JSON result to
// jsonPath. Ctrl-C reaches the child as an interrupt, so it still writes
// what it measured. A child that exits for bad usage or an internal error
// is an error, with its output.
func runChild(ctx context.Context, e env, args []string, jsonPath string) (*childRun, error) {
	cmd, err := e.self(args...)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stopWatch := context.AfterFunc(ctx, func() { cmd.Process.Signal(os.Interrupt) })
	werr := cmd.Wait()
	stopWatch()
	r := &childRun{exitCode: cmd.ProcessState.ExitCode(), wall: time.Since(start)}
	if werr != nil && r.exitCode < 0 {
		return nil, fmt.Errorf("%w\n%s", werr, out.String())
	}
	if r.exitCode == exitUsage || r.exitCode == exitInternal {
		return nil, fmt.Errorf("exit code %d:\n%s", r.exitCode, out.String())
	}
	var maxRSS int64
	r.cpu, maxRSS = procstat.Exited(cmd.ProcessState)
	r.maxRSSKB = maxRSS / 1024
	if r.data, err = os.ReadFile(jsonPath); err != nil {
		return nil, fmt.Errorf("reading its result: %w\n%s", err, out.String())
	}
	if r.rep, err = report.ReadJSON(bytes.NewReader(r.data)); err != nil {
		return nil, fmt.Errorf("reading its result: %w", err)
	}
	return r, nil
}
