package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/control"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// fleetFlags are the flags of distributed runs.
type fleetFlags = cli.FleetFlags

// fleet is a checked distributed set-up.
type fleet struct {
	local int // worker processes to start; 0 for a coordinator
	ff    fleetFlags
	// coord is the running coordinator, for the live worker table.
	coord *control.Coordinator
}

// check returns nil for a run in this process.
func checkFleet(ff fleetFlags, coordinator bool, p *testPlan) (*fleet, error) {
	if !coordinator {
		if ff.Workers < 0 {
			return nil, usagef("--workers %d: must be zero (run in this process) or more", ff.Workers)
		}
		if ff.Workers == 0 {
			return nil, nil
		}
		return &fleet{local: ff.Workers, ff: ff}, nil
	}
	if ff.Expect < 1 {
		return nil, usagef("--expect-workers %d: must be at least 1", ff.Expect)
	}
	if ff.ExpectWait < 0 {
		return nil, usagef("--expect-workers-max-wait %v: must not be negative", ff.ExpectWait)
	}
	if err := control.ListenCheck(ff.Listen, ff.Token); err != nil {
		if errors.Is(err, control.ErrNoToken) {
			return nil, usagef("--listen %s: %w (--token or LOADGEN_TOKEN sets one)", ff.Listen, err)
		}
		return nil, usagef("--listen %s: %w", ff.Listen, err)
	}
	if p.host == "" && !netaddr.LoopbackAddr(ff.Listen) {
		return nil, usagef("--listen %s takes workers from other machines, which cannot reach the album service embedded here on loopback: give --host", ff.Listen)
	}
	return &fleet{ff: ff}, nil
}

// run runs the test as the coordinator of the fleet.
func (fl *fleet) run(ctx context.Context, e env, p *testPlan, host string, seed uint64, onTick, onWarmupEnd func(*results.Snapshot), log *slog.Logger) (*control.Result, error) {
	token, addr := fl.ff.Token, fl.ff.Listen
	expect, expectWait := fl.ff.Expect, fl.ff.ExpectWait
	if fl.local > 0 {
		// The fleet's own secret, handed to the workers in their
		// environment where ps does not show it.
		var err error
		if token, err = wire.NewToken(); err != nil {
			return nil, err
		}
		addr, expect, expectWait = "127.0.0.1:0", fl.local, 30*time.Second
	}
	ln, err := control.Listen(addr, token)
	if err != nil {
		return nil, err
	}
	c, err := control.NewCoordinator(control.CoordinatorConfig{
		Token: token,
		Spec: loadgen.Spec{
			Profile: p.source, Ratio: p.flags.Ratio, Wait: p.wait, Client: p.flags.Client,
			Timeout: p.flags.Timeout, StopTimeout: p.flags.StopTimeout, Seed: seed, Host: host,
			UserAgent: "loadgen/" + version, Open: openSpec(p),
		},
		Users:         p.users,
		SpawnRate:     p.spawnRate,
		RunTime:       p.runTime,
		ExpectWorkers: expect,
		ExpectWait:    expectWait,
		EntryHistory:  p.flags.CSVFullHistory,
		OnTick:        onTick,
		Warmup:        p.flags.Warmup,
		OnWarmupEnd:   onWarmupEnd,
		Version:       version,
		Logger:        log.With("component", "coordinator"),
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	fl.coord = c
	go c.Serve(ln)
	defer c.Close()
	url := "http://" + ln.Addr().String()
	log.Info("coordinator listening", "url", url, "expect_workers", expect)

	var lf *control.LocalFleet
	if fl.local > 0 {
		cmds := make([]*exec.Cmd, 0, fl.local)
		for range fl.local {
			// Workers' routine messages would drown the tables; their
			// warnings and errors still show.
			level := logging.Name(logging.Quiet(p.level))
			cmd, err := e.self("worker", "--coordinator", url, "--connect-timeout", "10s", "--loglevel", level)
			if err != nil {
				return nil, err
			}
			if cmd.Env == nil {
				cmd.Env = os.Environ()
			}
			cmd.Env = append(cmd.Env, "LOADGEN_TOKEN="+token)
			cmd.Stdout, cmd.Stderr = e.stderr, e.stderr
			cmds = append(cmds, cmd)
		}
		if lf, err = control.StartLocalFleet(cmds); err != nil {
			return nil, fmt.Errorf("starting %d workers: %w", fl.local, err)
		}
		defer lf.Kill()
	}
	res, err := c.Run(ctx)
	if lf != nil {
		if werr := lf.Wait(10 * time.Second); werr != nil {
			log.Warn("worker processes", "err", werr)
		}
	}
	return res, err
}

// openSpec is the open-model part of a distributed run's spec: the
// fleet's total rate, which the coordinator splits over the workers, and
// each worker's in-flight cap. It is nil for a run with users.
func openSpec(p *testPlan) *loadgen.OpenModel {
	if !p.open {
		return nil
	}
	return &loadgen.OpenModel{Rate: p.rate, Arrival: p.arrival, MaxInFlight: p.flags.MaxInflight, MaxLag: p.flags.MaxLag}
}

// writeWorkers prints the worker table.
func writeWorkers(w io.Writer, ws []control.WorkerStatus) error {
	if len(ws) == 0 {
		return nil
	}
	open := false
	for _, s := range ws {
		open = open || s.Open != nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if open {
		// An open-model run's "users" are its requests in flight, and its
		// dispatcher's counts say whether each worker kept to its share.
		fmt.Fprintln(tw, "Worker\tState\tIn flight\t# reqs\t# fails\treq/s\tScheduled\tLate\tDropped\tCPU %\tMemory MB\tLast heartbeat\t")
	} else {
		fmt.Fprintln(tw, "Worker\tState\tUsers\t# reqs\t# fails\treq/s\tCPU %\tMemory MB\tLast heartbeat\t")
	}
	for _, s := range ws {
		last := "-"
		if !s.LastHeartbeat.IsZero() {
			last = time.Since(s.LastHeartbeat).Round(100*time.Millisecond).String() + " ago"
		}
		state := string(s.State)
		if s.Error != "" {
			state += " (" + s.Error + ")"
		}
		if open {
			var st users.OpenStats
			if s.Open != nil {
				st = *s.Open
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%d\t%d\t%d\t%.0f\t%.1f\t%s\t\n", s.ID, state, s.Users, s.Requests, s.Failures, s.RPS,
				st.Scheduled, st.Late, st.Dropped, s.CPUPercent, float64(s.RSSBytes)/(1<<20), last)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%.0f\t%.1f\t%s\t\n", s.ID, state, s.Users, s.Requests, s.Failures, s.RPS,
			s.CPUPercent, float64(s.RSSBytes)/(1<<20), last)
	}
	return tw.Flush()
}

// runWorker is `loadgen worker`: it generates whatever load its
// coordinator asks for, until the coordinator says quit.
func runWorker(ctx context.Context, e env, args []string) (int, error) {
	c, err := cli.NewCommand("worker")
	if err != nil {
		return exitInternal, err
	}
	if _, err := c.Parse(args, e.getenv); err != nil {
		if isHelp(err) {
			fmt.Fprint(e.stderr, c.Help())
			return exitOK, nil
		}
		return exitUsage, err
	}
	wf := c.Worker
	coord, token, id, level, connect := wf.Coordinator, wf.Token, wf.ID, wf.LogLevel, wf.ConnectTimeout
	if coord == "" {
		return exitUsage, usagef("--coordinator is required, e.g. --coordinator http://127.0.0.1:5557")
	}
	if err := netaddr.CheckBaseURL(coord); err != nil {
		return exitUsage, usagef("--coordinator %q: %w", coord, err)
	}
	if connect <= 0 {
		return exitUsage, usagef("--connect-timeout %v: must be positive", connect)
	}
	lv, err := logging.ParseLevel(level)
	if err != nil {
		return exitUsage, usagef("--loglevel %w", err)
	}
	w, err := control.NewWorker(control.WorkerConfig{
		Coordinator: strings.TrimRight(coord, "/"), Token: token, ID: id, Version: version,
		ConnectTimeout: connect, Logger: logging.New(e.stderr, lv).With("component", "worker"),
	})
	if err != nil {
		return exitUsage, usageError{Err: err}
	}
	if err := w.Run(ctx); err != nil {
		if errors.Is(err, control.ErrUnreachable) {
			return exitUnreachable, err
		}
		return exitInternal, err
	}
	return exitOK, nil
}
