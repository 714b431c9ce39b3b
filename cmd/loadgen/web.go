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

	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/web"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results/threshold"
)

// webFlags are the flags of the web UI, and --html.
type webFlags = cli.WebFlags

// check refuses web flags without --web, and a UI that others could reach
// without credentials.
func checkWeb(wf *webFlags, set *cli.Settings, p *testPlan, token string) error {
	if err := checkOutputDir(wf.HTML); err != nil {
		return usagef("--html %s: %w", wf.HTML, err)
	}
	if !wf.Web {
		for _, name := range []string{"web-host", "web-port", "autostart", "web-auth"} {
			if set.Given(name) {
				return usagef("--%s applies to the web UI only: add --web", name)
			}
		}
		return nil
	}
	if p.open {
		return usagef("--web runs closed-model tests (users); --rate and --rate-stages are not supported with it")
	}
	if wf.Port < 0 || wf.Port > 65535 {
		return usagef("--web-port %d: want 0 to 65535", wf.Port)
	}
	if wf.Auth != "" {
		if u, pw, ok := strings.Cut(wf.Auth, ":"); !ok || u == "" || pw == "" {
			return usagef("--web-auth: want user:pass, both non-empty")
		}
	}
	if err := web.CheckListen(webAddr(*wf), wf.Auth != "" || token != ""); err != nil {
		if errors.Is(err, web.ErrNoAuth) {
			return usagef("--web-host %s: %w: add --web-auth user:pass", wf.Host, err)
		}
		return usagef("--web-host %s: %w", wf.Host, err)
	}
	return nil
}

func webAddr(wf webFlags) string { return net.JoinHostPort(wf.Host, strconv.Itoa(wf.Port)) }

// runWeb serves the web UI until ctx ends (Ctrl-C), then stops the run in
// progress and reports the last run as a command-line run would: tables,
// files and exit code.
func runWeb(ctx context.Context, e env, set *cli.Settings, p *testPlan, fl *fleet, wf webFlags) (int, error) {
	ring := web.NewLogRing(0, p.level)
	log := slog.New(slog.NewMultiHandler(logging.New(e.stderr, p.level).Handler(), ring.Handler()))
	wr := newWebRunner(e, p, fl, log, set.Given("wait"))
	defer wr.close()

	defaults := web.StartRequest{Users: p.users, SpawnRate: p.spawnRate, Host: p.host, Profile: p.flags.Profile}
	// A run from the page goes on until stopped, as in Locust, unless a
	// run time was asked for.
	if set.Given("run-time") || p.profile.RunTime > 0 {
		defaults.RunTime = p.runTime.String()
	}
	names := profiles.BuiltinNames()
	if !slices.Contains(names, p.flags.Profile) {
		names = append([]string{p.flags.Profile}, names...)
	}
	token := ""
	if fl != nil && fl.local == 0 {
		token = fl.ff.Token
	}
	srv, err := web.New(web.Config{
		Start: wr.start, Defaults: defaults, Profiles: names,
		BasicAuth: wf.Auth, Token: token,
		Logger: log.With("component", "web"), Logs: ring, Version: version,
	})
	if err != nil {
		return exitUsage, usageError{Err: err}
	}
	ln, err := net.Listen("tcp", webAddr(wf))
	if err != nil {
		return exitInternal, fmt.Errorf("--web-host/--web-port: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("web UI listening", "url", "http://"+ln.Addr().String())

	if wf.Autostart {
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
	stopCtx, cancel := context.WithTimeout(context.Background(), p.flags.StopTimeout+30*time.Second)
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
		return p.flags.ExitCodeOnError, nil
	}
	return exitOK, nil
}

// evaluate fills a result's threshold outcome.
func (res *result) evaluate() {
	if len(res.plan.thresholds) > 0 {
		res.thresholds, res.thresholdsPass = threshold.EvaluateAll(res.plan.thresholds, res.snap)
	}
}
