package cli

import (
	"errors"
	"log/slog"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control"
	"github.com/loadgen/loadgen/loadgen/observe"
	"github.com/loadgen/loadgen/loadgen/output"
	"github.com/loadgen/loadgen/loadgen/web"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// Outputs are how a run is watched and where its results go, checked.
type Outputs struct {
	Files output.Files
	// Level is --loglevel.
	Level slog.Level
	// Quiet is --only-summary: no live tables.
	Quiet         bool
	PrintInterval time.Duration
	// ExitCodeOnError is the exit code when a request failed.
	ExitCodeOnError int
	// Window is the statistics' current window; Watch the live files and
	// the metrics endpoint.
	Window time.Duration
	Watch  observe.Options
	// Stdout is set when an output goes to stdout ("-"): the final tables
	// then go to stderr, so that stdout holds that output alone.
	Stdout bool
	// LogFile is --logfile: the log goes there, and stderr gets only
	// warnings and errors.
	LogFile string
}

// Outputs checks the command's output flags. A directory that does not
// exist is found now, not after the run.
func (c *Command) Outputs() (*Outputs, error) {
	f := &c.Run
	level, err := logging.ParseLevel(f.LogLevel)
	if err != nil {
		return nil, Usagef("--loglevel %w", err)
	}
	if f.PrintInterval <= 0 {
		return nil, Usagef("--print-interval %v: must be positive", f.PrintInterval)
	}
	o := &Outputs{
		// The CSV files are written as the run goes, by the watcher.
		Files: output.Files{Precise: f.CSVPrecise, JSON: f.JSON, HTML: c.Web.HTML},
		Level: level, Quiet: f.OnlySummary, PrintInterval: f.PrintInterval, ExitCodeOnError: f.ExitCodeOnError,
	}
	if err := results.CheckWindow(f.Window); err != nil {
		return nil, Usagef("--window: %w", err)
	}
	o.Window = f.Window
	linger := f.MetricsLinger
	if linger == 0 {
		linger = -1 // observe's "do not wait"
	}
	o.Watch = observe.Options{
		HDRLog: f.HDRLog, HDRLogInterval: f.HDRLogInterval, JSONL: f.JSONL,
		Metrics: f.Metrics, BasicAuth: c.Web.Auth, Token: c.WebToken(), MetricsLinger: linger,
		CSV: f.CSV, CSVOptions: report.CSVOptions{Precise: f.CSVPrecise},
	}
	if err := o.Watch.Check(); err != nil {
		if errors.Is(err, observe.ErrMetricsNoAuth) {
			return nil, Usagef("%w: add --web-auth user:pass", err)
		}
		return nil, Usagef("%w", err)
	}
	if err := CheckOutputs(Output{"--csv", f.CSV, true}, Output{"--json", f.JSON, false}, Output{"--html", c.Web.HTML, false},
		Output{"--hdr-log", f.HDRLog, false}, Output{"--jsonl", f.JSONL, false}); err != nil {
		return nil, err
	}
	if lf := c.Locust.LogFile; lf != "" {
		if lf == report.Stdout {
			return nil, Usagef("--logfile -: the log goes to stderr without --logfile")
		}
		if err := CheckOutputs(Output{"--logfile", lf, false}); err != nil {
			return nil, err
		}
		o.LogFile = lf
	}
	o.Stdout = slices.Contains([]string{f.JSON, c.Web.HTML, f.HDRLog, f.JSONL}, report.Stdout)
	return o, nil
}

// Output is an output flag and the path it was given.
type Output struct {
	Flag, Path string
	// CSV marks a prefix of Locust's four CSV files.
	CSV bool
}

// CheckOutputs tries, before a run, every output it will write, so that
// a mistake costs a message rather than the run's results: the directory
// of each file is tried by creating and removing a file in it, a
// directory is refused, a device or a pipe must open for writing (see
// report.CheckOutput). "-" is stdout, for one output at most, and not for
// --csv, which names four files.
func CheckOutputs(outs ...Output) error {
	var stdout []string
	for _, o := range outs {
		switch {
		case o.Path == "":
			continue
		case o.Path == report.Stdout && o.CSV:
			return Usagef("%s -: %s names a prefix for four files, not one stream; give a path prefix such as out/run", o.Flag, o.Flag)
		case o.Path == report.Stdout:
			stdout = append(stdout, o.Flag+" -")
			continue
		}
		paths := []string{o.Path}
		if o.CSV {
			paths = report.CSVFiles(o.Path)
		}
		for _, p := range paths {
			if err := report.CheckOutput(p); err != nil {
				return Usagef("%s %w", o.Flag, err)
			}
		}
	}
	if len(stdout) > 1 {
		return Usagef("%s: only one output can go to stdout", strings.Join(stdout, " and "))
	}
	return nil
}

// Engine is what runs the command's tests: this process, or a fleet of
// workers, either the command's own processes (--workers N, made by
// workerCommand) or the coordinator command's workers.
func (c *Command) Engine(spec *loadgen.Spec, workerCommand func(url string) (*exec.Cmd, error), version string) (loadgen.Engine, error) {
	f := c.Fleet
	if c.kind != "coordinator" {
		switch {
		case f.Workers < 0:
			return nil, Usagef("--workers %d: must be zero (run in this process) or more", f.Workers)
		case f.Workers == 0 && (f.Expect != 0 || f.ExpectWait != 0):
			return nil, Usagef("--expect-workers %d: waits for workers, and this run has none: add --workers N for N worker processes on this machine, or run loadgen coordinator for workers that join from elsewhere", f.Expect)
		case f.Workers == 0:
			return loadgen.Local{}, nil
		case f.Expect < 0 || f.Expect > f.Workers:
			return nil, Usagef("--expect-workers %d: want 1 to --workers (%d)", f.Expect, f.Workers)
		}
		return &control.Fleet{Workers: f.Workers, ExpectWorkers: f.Expect, ExpectWait: f.ExpectWait, WorkerCommand: workerCommand, Version: version}, nil
	}
	if f.Expect < 1 {
		return nil, Usagef("--expect-workers %d: must be at least 1", f.Expect)
	}
	if f.ExpectWait < 0 {
		return nil, Usagef("--expect-workers-max-wait %v: must not be negative", f.ExpectWait)
	}
	if f.MaxWorkers < 1 || f.MaxWorkers < f.Expect {
		return nil, Usagef("--max-workers %d: must be at least 1 and at least --expect-workers (%d)", f.MaxWorkers, f.Expect)
	}
	if err := control.ListenCheck(f.Listen, f.Token); err != nil {
		if errors.Is(err, control.ErrNoToken) {
			return nil, Usagef("--listen %s: %w (--token or LOADGEN_TOKEN sets one)", f.Listen, err)
		}
		return nil, Usagef("--listen %s: %w", f.Listen, err)
	}
	if spec.Embedded() && !netaddr.LoopbackAddr(f.Listen) {
		return nil, Usagef("--listen %s takes workers from other machines, which cannot reach the album service embedded here on loopback: give --host", f.Listen)
	}
	return &control.Fleet{Listen: f.Listen, Token: f.Token, ExpectWorkers: f.Expect, ExpectWait: f.ExpectWait, MaxWorkers: f.MaxWorkers, Version: version}, nil
}

// WebToken is the token that also opens the web UI: a coordinator's.
func (c *Command) WebToken() string {
	if c.kind == "coordinator" {
		return c.Fleet.Token
	}
	return ""
}

// CheckWeb refuses web flags without --web, and a UI that others could
// reach without credentials.
func (c *Command) CheckWeb(s *Settings) error {
	wf := c.Web
	if !wf.Web {
		for _, name := range []string{"web-host", "web-port", "autostart", "autoquit", "web-auth"} {
			if s.Given(name) {
				return Usagef("--%s applies to the web UI only: add --web%s", name, from(s, name))
			}
		}
		return nil
	}
	if c.Locust.Headless {
		return Usagef("--headless turns the web UI off and --web turns it on: give one%s", from(s, "headless"))
	}
	if s.Given("autoquit") && !wf.Autostart {
		return Usagef("--autoquit %d quits after the run --autostart starts: add --autostart", wf.Autoquit)
	}
	if wf.Port < 0 || wf.Port > 65535 {
		return Usagef("--web-port %d: want 0 to 65535", wf.Port)
	}
	if wf.Auth != "" {
		if u, pw, ok := strings.Cut(wf.Auth, ":"); !ok || u == "" || pw == "" {
			return Usagef("--web-auth: want user:pass, both non-empty")
		}
	}
	if err := web.CheckListen(c.WebAddr(), wf.Auth != "" || c.WebToken() != ""); err != nil {
		if errors.Is(err, web.ErrNoAuth) {
			return Usagef("--web-host %s: %w: add --web-auth user:pass", wf.Host, err)
		}
		return Usagef("--web-host %s: %w", wf.Host, err)
	}
	return nil
}

// from names where a flag was set, when not on the command line.
func from(s *Settings, flag string) string {
	if o := s.Origin(flag); o.Kind != FromCommandLine && o.Kind != FromDefault {
		return " (set by " + o.String() + ")"
	}
	return ""
}

// WebAddr is the web UI's listen address.
func (c *Command) WebAddr() string {
	return net.JoinHostPort(c.Web.Host, strconv.Itoa(c.Web.Port))
}

// ExitCode is a finished run's exit code for its outcome: incomplete,
// then a failed threshold, then a failed request (exitOnError), else
// success.
func ExitCode(res *loadgen.Result, exitOnError int) int {
	switch res.Outcome() {
	case loadgen.Incomplete:
		return ExitIncomplete
	case loadgen.ThresholdFailed:
		return ExitThreshold
	case loadgen.RequestsFailed:
		return exitOnError
	}
	return ExitOK
}
