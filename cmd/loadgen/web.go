package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/loadgen/web"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results/threshold"
)

// webFlags are the flags of the web UI, and --html, which writes the UI's
// report at the end of any run.
type webFlags struct {
	web       bool
	host      string
	port      int
	autostart bool
	auth      string
	html      string
}

func (wf *webFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&wf.web, "web", false, "serve the web UI, where runs are started, watched, edited and stopped, until Ctrl-C; the files asked for are written for the last run")
	fs.StringVar(&wf.host, "web-host", "127.0.0.1", "address of the web UI; anything but loopback needs --web-auth (or a coordinator's --token)")
	fs.IntVar(&wf.port, "web-port", 8089, "port of the web UI (0 picks a free one)")
	fs.BoolVar(&wf.autostart, "autostart", false, "with --web, start a run from the command line's flags at once and keep the UI up")
	fs.StringVar(&wf.auth, "web-auth", "", "user:pass that the web UI asks for (HTTP basic auth)")
	fs.StringVar(&wf.html, "html", "", "write a self-contained HTML report (tables, charts, failures, thresholds) to this file at the end")
}

// check refuses web flags without --web, and a UI that others could reach
// without credentials.
func (wf *webFlags) check(fs *pflag.FlagSet, p *testPlan, token string) error {
	if err := checkOutputDir(wf.html); err != nil {
		return usagef("--html %s: %w", wf.html, err)
	}
	if !wf.web {
		for _, name := range []string{"web-host", "web-port", "autostart", "web-auth"} {
			if fs.Changed(name) {
				return usagef("--%s applies to the web UI only: add --web", name)
			}
		}
		return nil
	}
	if p.open {
		return usagef("--web runs closed-model tests (users); --rate and --rate-stages are not supported with it")
	}
	if wf.port < 0 || wf.port > 65535 {
		return usagef("--web-port %d: want 0 to 65535", wf.port)
	}
	if wf.auth != "" {
		if u, pw, ok := strings.Cut(wf.auth, ":"); !ok || u == "" || pw == "" {
			return usagef("--web-auth: want user:pass, both non-empty")
		}
	}
	if err := web.CheckListen(wf.addr(), wf.auth != "" || token != ""); err != nil {
		if errors.Is(err, web.ErrNoAuth) {
			return usagef("--web-host %s: %w: add --web-auth user:pass", wf.host, err)
		}
		return usagef("--web-host %s: %w", wf.host, err)
	}
	return nil
}

func (wf *webFlags) addr() string { return net.JoinHostPort(wf.host, strconv.Itoa(wf.port)) }

// runWeb serves the web UI until ctx ends (Ctrl-C), then stops the run in
// progress and reports the last run as a command-line run would: tables,
// files and exit code.
func runWeb(ctx context.Context, e env, fs *pflag.FlagSet, p *testPlan, fl *fleet, wf webFlags) (int, error) {
	ring := web.NewLogRing(0, p.level)
	log := slog.New(slog.NewMultiHandler(logging.New(e.stderr, p.level).Handler(), ring.Handler()))
	wr := newWebRunner(e, p, fl, log, fs.Changed("wait"))
	defer wr.close()

	defaults := web.StartRequest{Users: p.users, SpawnRate: p.spawnRate, Host: p.host, Profile: p.flags.profile}
	// A run from the page goes on until stopped, as in Locust, unless a
	// run time was asked for.
	if fs.Changed("run-time") || p.profile.RunTime > 0 {
		defaults.RunTime = p.runTime.String()
	}
	names := profiles.BuiltinNames()
	if !slices.Contains(names, p.flags.profile) {
		names = append([]string{p.flags.profile}, names...)
	}
	token := ""
	if fl != nil && fl.local == 0 {
		token = fl.ff.token
	}
	srv, err := web.New(web.Config{
		Start: wr.start, Defaults: defaults, Profiles: names,
		BasicAuth: wf.auth, Token: token,
		Logger: log.With("component", "web"), Logs: ring, Version: version,
	})
	if err != nil {
		return exitUsage, usageError{err}
	}
	ln, err := net.Listen("tcp", wf.addr())
	if err != nil {
		return exitInternal, fmt.Errorf("--web-host/--web-port: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("web UI listening", "url", "http://"+ln.Addr().String())

	if wf.autostart {
		if err := srv.Start(defaults); err != nil {
			srv.Shutdown(context.Background())
			return exitInternal, fmt.Errorf("--autostart: %w", err)
		}
	}
	select {
	case <-ctx.Done():
	case err := <-served:
		return exitInternal, fmt.Errorf("web UI: %w", err)
	}
	log.Info("stopping: writing the results of the last run")
	// Requests in flight get the stop timeout, workers their final reports.
	stopCtx, cancel := context.WithTimeout(context.Background(), p.flags.stopTimeout+30*time.Second)
	defer cancel()
	if err := srv.Close(stopCtx); err != nil {
		log.Warn("the last run did not stop in time", "err", err)
	}
	shutCtx, cancelShut := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancelShut()
	srv.Shutdown(shutCtx)

	res, runErr := wr.lastResult()
	if res == nil {
		fmt.Fprintln(e.stdout, "No run was started.")
		return exitOK, nil
	}
	if err := writeOutputs(e, res); err != nil {
		return exitInternal, err
	}
	if runErr != nil {
		return exitInternal, runErr
	}
	if len(res.thresholds) > 0 && !res.thresholdsPass {
		return exitThreshold, nil
	}
	if res.snap.Total.Failures() > 0 {
		return p.flags.exitOnError, nil
	}
	return exitOK, nil
}

// evaluate fills a result's threshold outcome.
func (res *result) evaluate() {
	if len(res.plan.thresholds) > 0 {
		res.thresholds, res.thresholdsPass = threshold.EvaluateAll(res.plan.thresholds, res.snap)
	}
}
