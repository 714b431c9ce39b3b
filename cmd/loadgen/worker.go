package main

import (
	"context"
	"errors"
	"strings"

	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/control"
)

// runWorker is `loadgen worker`: it generates whatever load its
// coordinator asks for, until the coordinator says quit.
func runWorker(ctx context.Context, e env, args []string) (int, error) {
	c, _, done, err := parse(e, "worker", args)
	if done {
		return usageCode(err), err
	}
	f := c.Worker
	if f.Coordinator == "" {
		return exitUsage, cli.Usagef("--coordinator is required, e.g. --coordinator http://127.0.0.1:5557")
	}
	if err := netaddr.CheckBaseURL(f.Coordinator); err != nil {
		return exitUsage, cli.Usagef("--coordinator %q: %w", f.Coordinator, err)
	}
	if f.ConnectTimeout <= 0 {
		return exitUsage, cli.Usagef("--connect-timeout %v: must be positive", f.ConnectTimeout)
	}
	level, err := logging.ParseLevel(f.LogLevel)
	if err != nil {
		return exitUsage, cli.Usagef("--loglevel %w", err)
	}
	log, closeLog, err := logging.Open(e.stderr, f.LogFile, level)
	if err != nil {
		return exitUsage, cli.UsageError{Err: err}
	}
	defer closeLog()
	w, err := control.NewWorker(control.WorkerConfig{
		Coordinator: strings.TrimRight(f.Coordinator, "/"), Token: f.Token, ID: f.ID, Version: version,
		ConnectTimeout: f.ConnectTimeout, Logger: log.With("component", "worker"),
	})
	if err != nil {
		return exitUsage, cli.UsageError{Err: err}
	}
	if err := w.Run(ctx); err != nil {
		if errors.Is(err, control.ErrUnreachable) {
			return exitUnreachable, err
		}
		return exitInternal, err
	}
	return exitOK, nil
}
