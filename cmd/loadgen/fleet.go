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

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen/control"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// fleetFlags are the flags of distributed runs: --workers for a fleet of
// local worker processes, or the coordinator command's own.
type fleetFlags struct {
	workers    int
	listen     string
	expect     int
	expectWait time.Duration
	token      string
}

func (ff *fleetFlags) register(fs *pflag.FlagSet, coordinator bool) {
	if !coordinator {
		fs.IntVar(&ff.workers, "workers", 0, "run the test on N worker processes of this binary, with this process as their coordinator (the one-command form of a coordinator and N workers)")
		return
	}
	fs.StringVar(&ff.listen, "listen", "127.0.0.1:5557", "address for the workers' control requests; anything but loopback needs --token")
	fs.IntVar(&ff.expect, "expect-workers", 1, "workers to wait for before starting; later ones join the running test")
	fs.DurationVar(&ff.expectWait, "expect-workers-max-wait", 0, "start with the workers present after this long (0: wait for all)")
	fs.StringVar(&ff.token, "token", "", "shared secret every control request must carry (also LOADGEN_TOKEN)")
}

// fleet is a checked distributed set-up.
type fleet struct {
	local int // worker processes to start; 0 for a coordinator
	ff    fleetFlags
	// coord is the running coordinator, for the live worker table.
	coord *control.Coordinator
}

// check returns nil for a run in this process.
func (ff fleetFlags) check(coordinator bool, p *testPlan) (*fleet, error) {
	if !coordinator {
		if ff.workers < 0 {
			return nil, usagef("--workers %d: must be zero (run in this process) or more", ff.workers)
		}
		if ff.workers == 0 {
			return nil, nil
		}
		return &fleet{local: ff.workers, ff: ff}, nil
	}
	if ff.expect < 1 {
		return nil, usagef("--expect-workers %d: must be at least 1", ff.expect)
	}
	if ff.expectWait < 0 {
		return nil, usagef("--expect-workers-max-wait %v: must not be negative", ff.expectWait)
	}
	if err := control.ListenCheck(ff.listen, ff.token); err != nil {
		if errors.Is(err, control.ErrNoToken) {
			return nil, usagef("--listen %s: %w (--token or LOADGEN_TOKEN sets one)", ff.listen, err)
		}
		return nil, usagef("--listen %s: %w", ff.listen, err)
	}
	if p.host == "" && !netaddr.LoopbackAddr(ff.listen) {
		return nil, usagef("--listen %s takes workers from other machines, which cannot reach the album service embedded here on loopback: give --host", ff.listen)
	}
	return &fleet{ff: ff}, nil
}

// run runs the test as the coordinator of the fleet.
func (fl *fleet) run(ctx context.Context, e env, p *testPlan, host string, seed uint64, onTick, onWarmupEnd func(*results.Snapshot), log *slog.Logger) (*control.Result, error) {
	token, addr := fl.ff.token, fl.ff.listen
	expect, expectWait := fl.ff.expect, fl.ff.expectWait
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
		Spec: wire.RunSpec{
			Profile: p.source, Ratio: p.flags.ratio, Wait: p.wait.String(), Client: p.flags.client,
			Timeout: p.flags.timeout, StopTimeout: p.flags.stopTimeout, Seed: seed, Host: host,
			UserAgent: "loadgen/" + version, Open: openSpec(p),
		},
		Users:         p.users,
		SpawnRate:     p.spawnRate,
		RunTime:       p.runTime,
		ExpectWorkers: expect,
		ExpectWait:    expectWait,
		EntryHistory:  p.flags.csvFull,
		OnTick:        onTick,
		Warmup:        p.flags.warmup,
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
func openSpec(p *testPlan) *wire.OpenSpec {
	if !p.open {
		return nil
	}
	return &wire.OpenSpec{Rate: p.rate, Arrival: p.arrival, MaxInFlight: p.flags.maxInflight, MaxLag: p.flags.maxLag}
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
	var coord, token, id, level string
	var connect time.Duration
	fs, err := parseFlags("loadgen worker", args, e.getenv, e.stderr, func(fs *pflag.FlagSet) {
		fs.StringVar(&coord, "coordinator", "", "the coordinator's URL, e.g. http://10.0.0.5:5557")
		fs.StringVar(&token, "token", "", "the coordinator's shared secret (also LOADGEN_TOKEN)")
		fs.StringVar(&id, "id", "", "this worker's name in the worker table (default host-pid-random)")
		fs.DurationVar(&connect, "connect-timeout", 30*time.Second, "how long to keep trying to reach the coordinator, at start and after losing it")
		fs.StringVarP(&level, "loglevel", "L", "INFO", "DEBUG, INFO, WARNING or ERROR")
	})
	if err != nil {
		if isHelp(err) {
			fmt.Fprintf(e.stderr, "Usage: loadgen worker --coordinator URL [flags]\n\nGenerates the load a coordinator asks for. It stops its users within seconds of losing the coordinator, keeps trying to reach it for --connect-timeout, then exits %d.\n\nFlags:\n%s", exitUnreachable, fs.FlagUsages())
			return exitOK, nil
		}
		return exitUsage, err
	}
	if fs.NArg() > 0 {
		return exitUsage, usagef("unexpected argument %q", fs.Arg(0))
	}
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
		return exitUsage, usageError{err}
	}
	if err := w.Run(ctx); err != nil {
		if errors.Is(err, control.ErrUnreachable) {
			return exitUnreachable, err
		}
		return exitInternal, err
	}
	return exitOK, nil
}
