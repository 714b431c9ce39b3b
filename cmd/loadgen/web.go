package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/internal/embedded"
	"github.com/loadgen/loadgen/internal/logging"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/locust"
	"github.com/loadgen/loadgen/loadgen/observe"
	"github.com/loadgen/loadgen/loadgen/web"
	"github.com/loadgen/loadgen/profiles"
)

// serveWeb serves the web UI until ctx ends (Ctrl-C), then stops the run
// in progress and reports the last run as a command-line run would:
// tables, files and exit code.
func serveWeb(ctx context.Context, e env, t *testSetup) (int, error) {
	c, set, spec, engine, out := t.c, t.set, t.spec, t.engine, t.out
	ring := web.NewLogRing(0, out.Level)
	log := slog.New(slog.NewMultiHandler(t.log.Handler(), ring.Handler()))
	target := &sharedService{log: log, svcLog: logging.New(e.stderr, logging.Quiet(out.Level)).With("component", "albumsvc")}
	defer target.stop()
	defaults := webDefaults(c, spec)
	watch, err := watcher(out, spec, e.stdout, log)
	if err != nil {
		return exitUsage, err
	}
	srv, err := web.New(web.Config{
		Start:    webStarter(c, set, engine, watch.Hooks(loadgen.Hooks{Logger: log, Target: target.url, Window: out.Window, Serving: true})),
		Defaults: defaults, Profiles: webProfiles(c.Run.Profile), Classes: classNames(spec),
		BasicAuth: c.Web.Auth, Token: c.WebToken(), CSVPrecise: out.Files.Precise,
		Logger: log.With("component", "web"), Logs: ring, Version: version,
	})
	if err != nil {
		return exitUsage, cli.UsageError{Err: err}
	}
	ln, err := net.Listen("tcp", c.WebAddr())
	if err != nil {
		return exitInternal, fmt.Errorf("--web-host/--web-port: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("web UI listening", "url", "http://"+ln.Addr().String())
	log.Info(locust.StartingWeb("http://" + ln.Addr().String()))
	quit := make(<-chan struct{})
	if c.Web.Autostart {
		if err := srv.Start(defaults); err != nil {
			srv.Shutdown(context.Background())
			return exitInternal, fmt.Errorf("--autostart: %w", err)
		}
		if c.Web.Autoquit >= 0 {
			quit = autoquit(log, srv.Current(), time.Duration(c.Web.Autoquit)*time.Second)
		}
	}
	select {
	case <-ctx.Done():
	case <-quit:
	case err := <-served:
		return exitInternal, fmt.Errorf("web UI: %w", err)
	}
	stopWeb(log, srv, spec.StopGrace())
	return webResult(ctx, e, log, srv.Current(), out, watch)
}

// autoquit is closed after the run has ended and then d has passed, as
// Locust's --autoquit does.
func autoquit(log *slog.Logger, r loadgen.Run, d time.Duration) <-chan struct{} {
	quit := make(chan struct{})
	go func() {
		// Its result first, so that stopping the UI cannot make the
		// finished run look interrupted.
		_, _ = r.Wait()
		time.Sleep(d)
		log.Info(locust.AutoquitReached)
		close(quit)
	}()
	return quit
}

// webResult reports the UI's last run as a command-line run would:
// tables, files and exit code.
func webResult(ctx context.Context, e env, log *slog.Logger, last loadgen.Run, out *cli.Outputs, watch *observe.Watcher) (int, error) {
	if last == nil {
		fmt.Fprintln(e.stdout, "No run was started.")
		return exitOK, watch.Close(ctx, nil)
	}
	res, runErr := last.Wait()
	if res == nil {
		watch.Close(ctx, nil)
		return exitInternal, runErr
	}
	code, err := finish(e, log, res, out)
	if werr := watch.Close(ctx, res); werr != nil && err == nil {
		err = werr
	}
	if err == nil && runErr != nil {
		return exitInternal, runErr
	}
	return code, err
}

// webStarter starts the UI's runs: each request's Spec is built from the
// command line's settings and the request's (see webOverrides), and runs
// on the command line's engine.
func webStarter(c *cli.Command, set *cli.Settings, engine loadgen.Engine, hooks loadgen.Hooks) web.Starter {
	return func(ctx context.Context, req web.StartRequest) (loadgen.Run, error) {
		o, err := webOverrides(c, req)
		if err != nil {
			return nil, web.BadRequest(err)
		}
		s, err := c.Spec(set, version, o)
		if err != nil {
			return nil, web.BadRequest(err)
		}
		r, err := loadgen.Start(ctx, engine, s, hooks)
		var se *loadgen.SpecError
		if errors.As(err, &se) {
			return nil, web.BadRequest(err)
		}
		return r, err
	}
}

// stopWeb stops the run in progress, giving requests in flight the stop
// timeout and workers time for their final reports, then the UI.
func stopWeb(log *slog.Logger, srv *web.Server, grace time.Duration) {
	log.Info("stopping: writing the results of the last run")
	stopCtx, cancel := context.WithTimeout(context.Background(), grace+30*time.Second)
	defer cancel()
	if err := srv.Close(stopCtx); err != nil {
		log.Warn("the last run did not stop in time", "err", err)
	}
	shutCtx, cancelShut := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancelShut()
	srv.Shutdown(shutCtx)
}

// webDefaults is the start form's defaults: the command line's test. A
// run from the page goes on until stopped, as in Locust, unless a run
// time was asked for.
func webDefaults(c *cli.Command, spec *loadgen.Spec) web.StartRequest {
	d := web.StartRequest{Users: spec.Users, SpawnRate: spec.SpawnRate, Host: spec.Host, Profile: c.Run.Profile}
	if spec.Open != nil {
		d.Rate = spec.Open.Rate.Start
	}
	if c.SpecOrigin("run-time").Kind != cli.FromDefault {
		d.RunTime = spec.RunTime.String()
	}
	return d
}

// webOverrides is what a start request sets over the command line's
// settings: the users or the rate, the host, the run time, the profile.
// The profile is a built-in one, the command line's, or YAML sent along,
// never a path: the UI must not read this machine's files.
func webOverrides(c *cli.Command, req web.StartRequest) (cli.Overrides, error) {
	rt, _ := web.RunTime(req) // checked by the server
	o := cli.Overrides{Users: &req.Users, SpawnRate: &req.SpawnRate, Host: &req.Host, RunTime: &rt, Rate: &req.Rate}
	switch {
	case req.ProfileYAML != "":
		o.Profile = &profiles.Source{File: "profile_yaml", YAML: req.ProfileYAML}
	case req.Profile == c.Run.Profile:
	case slices.Contains(profiles.BuiltinNames(), req.Profile):
		o.Profile = &profiles.Source{Builtin: req.Profile}
	default:
		return o, fmt.Errorf("profile %q: neither a built-in profile (%s) nor the one loadgen was started with (%s); send its YAML as profile_yaml",
			req.Profile, strings.Join(profiles.BuiltinNames(), ", "), c.Run.Profile)
	}
	return o, nil
}

// classNames names the user classes of spec's workload, for the UI's
// Locust form; none when it does not compile, which the first run then
// reports.
func classNames(spec *loadgen.Spec) []string {
	p, err := spec.Plan()
	if err != nil {
		return nil
	}
	var names []string
	for _, c := range p.Classes() {
		names = append(names, c.Name)
	}
	return names
}

// webProfiles are the profiles the start form offers: the built-in ones,
// and the command line's.
func webProfiles(own string) []string {
	names := profiles.BuiltinNames()
	if !slices.Contains(names, own) {
		names = append([]string{own}, names...)
	}
	return names
}

// sharedService is the album service the UI's runs without a host test:
// started on first use and kept, so that their data builds up as one
// service's would.
type sharedService struct {
	log, svcLog *slog.Logger

	mu  sync.Mutex
	svc *embedded.Service
}

func (s *sharedService) url(store string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svc == nil {
		kind, err := albumsvc.ParseStoreKind(store)
		if err != nil {
			return "", err
		}
		if s.svc, err = embedded.Start(kind, s.svcLog); err != nil {
			return "", err
		}
		s.log.Info("embedded album service started", "url", s.svc.URL, "store", store)
	}
	return s.svc.URL, nil
}

func (s *sharedService) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.svc != nil {
		s.svc.Stop()
	}
}
