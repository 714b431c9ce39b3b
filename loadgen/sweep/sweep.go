// Package sweep runs one test several times, each run in a process of its
// own, so that its CPU time and peak memory are its alone: once per HTTP
// client (Compare), or once per value of a dimension for a scaling curve
// (Scale). Each child is loadgen itself, given the run's Spec (--spec)
// and asked for its JSON result; the embedded album service, when the
// test has no host, runs here, fresh for every run, so that no run
// inherits the data of the one before and its CPU time can be measured.
package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/internal/embedded"
	"github.com/loadgen/loadgen/internal/procstat"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/results/report"
)

// Options are how a sweep runs its children.
type Options struct {
	// Command makes a command that runs loadgen with args.
	Command func(args ...string) (*exec.Cmd, error)
	// Args are added to every child's command line: flags that say how a
	// test runs, not what it is (--workers, --loglevel).
	Args []string
	// RunArgs, when set, are added to the command line of the run of one
	// client in a comparison: where that run writes its own files.
	RunArgs func(client string) []string
	// Progress gets a line as each run starts; nil discards them.
	Progress io.Writer
}

func (o Options) progress(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format, args...)
	}
}

// child is a run of loadgen in a child process.
type child struct {
	exitCode int
	cpu      time.Duration
	maxRSS   int64 // bytes
	wall     time.Duration
	// data is the child's JSON result, and rep the same decoded.
	data []byte
	rep  *report.Report
}

// run runs spec in a child process, in dir, with args after the ones that
// give it the spec. With no host, it first starts an album service of the
// given store here; serverCPU is then the CPU time this process spent
// meanwhile, the service's, and zero otherwise. Ctrl-C reaches the child as an interrupt, so
// it still writes what it measured. A child that exits for bad usage or
// an internal error is an error, with its output.
func (o Options) run(ctx context.Context, spec loadgen.Spec, store albumsvc.StoreKind, dir, name string, args ...string) (c *child, serverCPU time.Duration, err error) {
	local := spec.Embedded()
	if local {
		srv, err := embedded.Start(store, nil)
		if err != nil {
			return nil, 0, err
		}
		defer srv.Stop()
		spec.Host = srv.URL
	}
	specPath, jsonPath := filepath.Join(dir, name+".spec.json"), filepath.Join(dir, name+".json")
	data, err := json.Marshal(spec)
	if err != nil {
		return nil, 0, err
	}
	if err := os.WriteFile(specPath, data, 0o600); err != nil {
		return nil, 0, err
	}
	all := append([]string{"--spec", specPath, "--json", jsonPath, "--only-summary"}, o.Args...)
	cpu0 := procstat.CPU()
	c, err = o.runChild(ctx, append(all, args...), jsonPath)
	if err != nil {
		return nil, 0, err
	}
	if local {
		serverCPU = procstat.CPU() - cpu0
	}
	return c, serverCPU, nil
}

func (o Options) runChild(ctx context.Context, args []string, jsonPath string) (*child, error) {
	cmd, err := o.Command(args...)
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
	c := &child{exitCode: cmd.ProcessState.ExitCode(), wall: time.Since(start)}
	if werr != nil && c.exitCode < 0 {
		return nil, fmt.Errorf("%w\n%s", werr, out.String())
	}
	if c.exitCode == cli.ExitUsage || c.exitCode == cli.ExitInternal {
		return nil, fmt.Errorf("exit code %d:\n%s", c.exitCode, out.String())
	}
	c.cpu, c.maxRSS = procstat.Exited(cmd.ProcessState)
	if c.data, err = os.ReadFile(jsonPath); err != nil {
		return nil, fmt.Errorf("reading its result: %w\n%s", err, out.String())
	}
	if c.rep, err = report.ReadJSON(bytes.NewReader(c.data)); err != nil {
		return nil, fmt.Errorf("reading its result: %w", err)
	}
	return c, nil
}

// pause waits d between runs, or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// ExitCode is a sweep's exit code from its runs': an incomplete run wins,
// then a failed threshold, then the first other failure, as they rank
// for one run.
func ExitCode(codes []int) int {
	rank := func(c int) int {
		switch c {
		case cli.ExitIncomplete:
			return 3
		case cli.ExitThreshold:
			return 2
		case cli.ExitOK:
			return 0
		}
		return 1
	}
	code := cli.ExitOK
	for _, c := range codes {
		if rank(c) > rank(code) {
			code = c
		}
	}
	return code
}
