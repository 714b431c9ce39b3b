package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/internal/netlimit"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results/metrics"
)

// DefaultMaxBodyBytes caps request bodies: a start request may carry a
// profile's YAML, which profiles keep well under this.
const DefaultMaxBodyBytes = 1 << 20

// Defaults for serving the UI with Serve. The UI shares its process, and
// so its descriptors, with the test it runs: idle and slow connections are
// closed, and those beyond the cap wait to be accepted.
const (
	// DefaultMaxConns bounds the UI's connections: a browser uses six.
	DefaultMaxConns = 64
	// DefaultIdleTimeout closes a connection that sends no request.
	DefaultIdleTimeout = 30 * time.Second
)

// Config describes a web UI server.
type Config struct {
	// Start builds and starts runs; required.
	Start Starter
	// Defaults fill what a start request leaves out, and the start form.
	Defaults StartRequest
	// Profiles are the profile names the start form offers; default the
	// built-in ones.
	Profiles []string
	// Classes names the user classes of the defaults' profile, which
	// Locust's form may list in its user_classes field before the first
	// run (later, the latest run's classes are known).
	Classes []string
	// BasicAuth, as user:pass, makes every request need HTTP basic auth.
	BasicAuth string
	// Token makes every request need "Authorization: Bearer TOKEN" (or
	// basic auth with the token as password).
	Token string
	// Logger receives the server's log: runs started, stopped, edited.
	// nil discards it.
	Logger *slog.Logger
	// Logs, when set, is shown in the Logs tab and GET /api/logs; give the
	// same ring to the program's logger.
	Logs *LogRing
	// MaxBodyBytes caps request bodies; default DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxConns caps the connections Serve holds at once; default
	// DefaultMaxConns.
	MaxConns int
	// IdleTimeout closes a connection Serve holds that has sent no request
	// for this long; default DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Version is shown on the page and recorded in the reports.
	Version string
	// CSVPrecise writes the CSV downloads' medians and percentiles with
	// their microseconds rather than in Locust's whole milliseconds.
	CSVPrecise bool
}

// Server is the web UI and its JSON API. It runs one test at a time; a
// new one can start once the last has stopped, and the downloads are
// always of the latest.
type Server struct {
	cfg     Config
	creds   credentials
	log     *slog.Logger
	handler http.Handler
	charts  chartCache

	// ctx is given to every run, so that Close stops them.
	ctx    context.Context
	cancel context.CancelFunc

	httpSrv *http.Server // set by Serve

	mu      sync.Mutex
	run     loadgen.Run
	info    runInfo
	req     StartRequest
	started time.Time
}

// New checks cfg and returns a server; serve its Handler.
func New(cfg Config) (*Server, error) {
	if cfg.Start == nil {
		return nil, errors.New("web: Config.Start is nil")
	}
	creds, err := newCredentials(cfg.BasicAuth, cfg.Token)
	if err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if len(cfg.Profiles) == 0 {
		cfg.Profiles = profiles.BuiltinNames()
	}
	s := &Server{cfg: cfg, creds: creds, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.handler = guard(creds, s.routes())
	s.httpSrv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: min(10*time.Second, cfg.IdleTimeout),
		ReadTimeout:       30 * time.Second, // bodies are at most MaxBodyBytes
		WriteTimeout:      time.Minute,      // the largest answer is a download
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Serve serves Handler on ln, with timeouts and at most Config.MaxConns
// connections at once, until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.httpSrv.Serve(netlimit.Listen(ln, s.cfg.MaxConns))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops Serve: it stops accepting and waits, until ctx ends, for
// the answers in progress.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.httpSrv.Shutdown(ctx)
	if err != nil {
		_ = s.httpSrv.Close()
	}
	return err
}

// Handler serves the page, the API and the downloads, behind the
// authentication and cross-origin checks.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serveIndex)
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("POST /api/start", s.handleStart)
	mux.HandleFunc("POST /api/stop", s.handleStop)
	mux.HandleFunc("POST /api/edit", s.handleEdit)
	mux.HandleFunc("POST /api/reset", s.handleReset)
	mux.HandleFunc("GET /api/info", s.handleInfo)
	mux.HandleFunc("GET /api/stats", s.handleStats)
	mux.HandleFunc("GET /api/workers", s.handleWorkers)
	mux.HandleFunc("GET /api/logs", s.handleLogs)
	mux.HandleFunc("GET /api/charts/{file}", s.handleChart)
	mux.HandleFunc("GET /download/{file}", s.handleDownload)
	s.locustRoutes(mux)
	mux.Handle("GET /metrics", metrics.Handler(metrics.NewCollector(RunSource(s.Current), metrics.Options{})))
	return mux
}

// errConflict is a control that does not fit the run's state.
type errConflict struct{ msg string }

func (e errConflict) Error() string { return e.msg }

// Start starts a run as POST /api/start does, for programs that start one
// themselves (loadgen --autostart). Fields left at their zero value are
// not filled from the defaults here: req is run as given.
func (s *Server) Start(req StartRequest) error {
	if err := checkStart(req); err != nil {
		return BadRequest(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run != nil && !ended(s.run) {
		return errConflict{"a run is in progress: stop it first"}
	}
	if s.ctx.Err() != nil {
		return errConflict{"the server is closing"}
	}
	run, err := s.cfg.Start(s.ctx, req)
	if err != nil {
		return err
	}
	s.run, s.info, s.req, s.started = run, infoOf(run), req, time.Now()
	s.log.Info("run started", "users", req.Users, "spawn_rate", req.SpawnRate, "host", netaddr.RedactURL(req.Host), "run_time", req.RunTime, "profile", profileLabel(req))
	go func() {
		<-run.Done()
		if err := runErr(run); err != nil {
			s.log.Error("run failed", "err", err)
			return
		}
		snap := run.Snapshot()
		s.log.Info("run stopped", "requests", snap.Total.Count(), "failures", snap.Total.Failures())
	}()
	return nil
}

// checkStart checks what the server can check itself, so that every
// starter gets numbers in range and a run time that parses.
func checkStart(req StartRequest) error {
	if err := loadgen.CheckUsers(req.Users); err != nil {
		return fmt.Errorf("users %w", err)
	}
	if err := loadgen.CheckSpawnRate(req.SpawnRate); err != nil {
		return fmt.Errorf("spawn_rate %w", err)
	}
	if req.Rate < 0 || math.IsNaN(req.Rate) || math.IsInf(req.Rate, 0) {
		return fmt.Errorf("rate %g: must be zero (a run with users) or a positive number of requests per second", req.Rate)
	}
	if _, err := RunTime(req); err != nil {
		return err
	}
	if req.Host != "" {
		if err := netaddr.CheckBaseURL(req.Host); err != nil {
			return fmt.Errorf("host %q: %w", netaddr.RedactURL(req.Host), err)
		}
	}
	if req.Profile == "" && req.ProfileYAML == "" {
		return errors.New("profile: name a profile or give its YAML")
	}
	return nil
}

// RunTime parses a request's run time; zero means until stopped.
func RunTime(req StartRequest) (time.Duration, error) {
	if req.RunTime == "" || req.RunTime == "0" {
		return 0, nil
	}
	d, err := profiles.ParseRunTime(req.RunTime)
	if err != nil {
		return 0, fmt.Errorf("run_time: %w", err)
	}
	if d < 0 {
		return 0, fmt.Errorf("run_time %q: must not be negative", req.RunTime)
	}
	return d, nil
}

func profileLabel(req StartRequest) string {
	if req.ProfileYAML != "" {
		return "(YAML from the request)"
	}
	return req.Profile
}

// current returns the latest run and what goes with it; run is nil before
// the first.
func (s *Server) current() (loadgen.Run, runInfo, StartRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run, s.info, s.req
}

// Current returns the latest run, or nil before the first one.
func (s *Server) Current() loadgen.Run {
	run, _, _ := s.current()
	return run
}

// Close stops the current run and waits for it until ctx ends; no run
// starts afterwards. The HTTP server serving Handler is the caller's to
// shut down.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.cancel()
	run := s.run
	s.mu.Unlock()
	if run == nil {
		return nil
	}
	return run.Stop(ctx)
}
