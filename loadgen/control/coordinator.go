package control

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/internal/jsonhttp"
	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/results"
)

// CoordinatorConfig describes a distributed run as the coordinator runs it.
type CoordinatorConfig struct {
	// Token, when set, must come with every control request as
	// "Authorization: Bearer <token>". Use ListenCheck (or Listen) to keep
	// a coordinator without one on loopback.
	Token string
	// Spec is what every worker's users run. With Spec.Open set the run
	// is an open-model one: the workers share its arrival rate instead of
	// running users (see OpenLead). It is the worker's part of the run's
	// Spec (loadgen.Spec.ForWorker).
	Spec loadgen.Spec
	// Users is the fleet's user target, split evenly over the workers. An
	// open-model run has no users and ignores it.
	Users int
	// SpawnRate is the fleet's ramp rate in users per second, shared out
	// among the workers; zero or less starts them all at once.
	SpawnRate float64
	// RunTime ends the run that long after it starts (after the expected
	// workers registered); zero runs until ctx ends. An open-model run's
	// schedule starts OpenLead after that, and RunTime cuts the schedule:
	// the run ends when the schedule does.
	RunTime time.Duration
	// ExpectWorkers is how many workers must register before the run
	// starts; default 1. Workers that register later join the running
	// test and get their share of users.
	ExpectWorkers int
	// ExpectWait bounds the wait for ExpectWorkers: when it passes, the run
	// starts with the workers present (with a warning), or fails if there
	// are none. Zero waits until ctx ends.
	ExpectWait time.Duration
	// Heartbeat is how often workers heartbeat and report; default 1 s.
	Heartbeat time.Duration
	// MissedHeartbeats without a heartbeat mark a worker missing; default 3.
	MissedHeartbeats int
	// Interval is how often statistics are collected and OnTick called;
	// default 1 s.
	Interval time.Duration
	// Window is the span of the statistics' current window; default
	// results.DefaultWindow.
	Window time.Duration
	// FinalWait bounds the wait for workers' final reports after the stop
	// command; default Spec.StopTimeout plus 5 s. In an open-model run the
	// default also covers the lag bound and, without a stop timeout,
	// loadgen.DefaultOpenStopTimeout.
	FinalWait time.Duration
	// PollHold is how long a command long poll is held open; default 25 s.
	PollHold time.Duration
	// EntryHistory keeps per-entry history rows (Locust's
	// --csv-full-history).
	EntryHistory bool
	// OnTick, when set, gets a snapshot after each collection, on the
	// collecting goroutine: it should return quickly.
	OnTick func(*results.Snapshot)
	// Warmup is the first part of RunTime that is not counted: when it
	// ends, the merged statistics restart. Workers report once a
	// Heartbeat, so the cut is exact to within one report.
	Warmup time.Duration
	// OnWarmupEnd, when set, gets the statistics the warm-up excluded.
	OnWarmupEnd func(*results.Snapshot)
	// Version is this program's version; workers of another version are
	// accepted with a warning.
	Version string
	// MaxWorkers bounds the workers a run takes, those lost included;
	// zero means DefaultMaxWorkers. A registration past it is refused
	// (429), so that a flood of registrations can take neither the
	// coordinator's memory nor the real workers' users.
	MaxWorkers int
	// Logger receives the coordinator's log; nil discards it.
	Logger *slog.Logger
}

// Result is a finished distributed run.
type Result struct {
	// RunID names the run in the workers' reports.
	RunID string `json:"run_id"`
	// Snapshot holds the merged statistics of every report received.
	Snapshot *results.Snapshot `json:"-"`
	// Workers is the final worker table, in registration order.
	Workers []results.WorkerStatus `json:"workers"`
	// Warnings say what went wrong without invalidating the run: lost or
	// late workers, missing final reports, version mismatches, requests of
	// an open-model schedule that no worker sent.
	Warnings []string `json:"warnings"`
	// Open is the fleet's open-model dispatcher counts, the sum over every
	// worker since the warm-up; nil in a run with users. Its Warnings say
	// where the workers fell short of their shares.
	Open *results.OpenStats `json:"open_model,omitempty"`
	// OpenUnsent estimates how many requests of lost workers' shares no
	// worker sent (see the warnings for each loss).
	OpenUnsent int64 `json:"open_model_unsent,omitempty"`
	// Excluded counts the requests the warm-up and resets excluded.
	Excluded int64 `json:"-"`
}

// DefaultMaxWorkers is CoordinatorConfig.MaxWorkers when left zero.
const DefaultMaxWorkers = 1000

// ErrNoWorkers is returned by Run when no worker registered in time.
var ErrNoWorkers = errors.New("no worker registered")

type runState int

const (
	runWaiting runState = iota
	runRunning
	runStopping
	runDone
)

// Coordinator runs a load test on workers that register with it over the
// control API (see Handler), merging their statistics exactly.
type Coordinator struct {
	cfg   CoordinatorConfig
	log   *slog.Logger
	auth  wire.TokenCheck
	runID string
	mux   *http.ServeMux

	ran       atomic.Bool
	closeOnce sync.Once
	closed    chan struct{} // ends every held long poll
	notify    chan struct{} // a registration or final report arrived
	srvMu     sync.Mutex
	srv       *http.Server

	codecs sync.Pool // *ingest: decoders for concurrent reports

	mu      sync.Mutex
	state   runState
	start   time.Time
	workers map[string]*workerRec
	order   []*workerRec // registration order: slot i is order[i]
	cmdSeq  uint64
	open    *openPlan // nil in a run with users
	// agg holds the run's statistics from its start. Reports are added as
	// they arrive: a delta merges into the aggregator's dense histograms
	// at a cost that grows with its own size only.
	stats    *loadgen.Stats
	warnings []string
	// orphans are the shares lost while no worker was left to take them.
	orphans []*orphan
	// logs keeps a flood of registrations to a few log lines a second.
	logs floodLog
	// refusedWorkers counts registrations past MaxWorkers, and
	// otherVersions the workers of another version than this one.
	refusedWorkers, otherVersions int
}

// maxVersionWarnings is how many workers of other versions are named in
// a warning each; the rest are counted in one.
const maxVersionWarnings = 5

// NewCoordinator checks cfg and returns a coordinator ready to serve
// registrations; the run starts with Run.
func NewCoordinator(cfg CoordinatorConfig) (*Coordinator, error) {
	if cfg.Users < 0 {
		return nil, fmt.Errorf("user count %d is negative", cfg.Users)
	}
	// Build the users once here, as every worker will, so that a profile
	// or setting no worker can run fails now, with its line, rather than
	// on each worker.
	if _, err := cfg.Spec.Plan(); err != nil {
		return nil, fmt.Errorf("run spec: %w", err)
	}
	if cfg.Heartbeat > wire.MaxHeartbeat || cfg.MissedHeartbeats > wire.MaxMissedHeartbeats {
		return nil, fmt.Errorf("heartbeat %v and missed heartbeats %d: at most %v and %d", cfg.Heartbeat, cfg.MissedHeartbeats, wire.MaxHeartbeat, wire.MaxMissedHeartbeats)
	}
	if cfg.ExpectWorkers <= 0 {
		cfg.ExpectWorkers = 1
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = time.Second
	}
	if cfg.MissedHeartbeats <= 0 {
		cfg.MissedHeartbeats = 3
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	var open *openPlan
	if cfg.Spec.Open != nil {
		var err error
		if open, err = newOpenPlan(&cfg.Spec, cfg.RunTime); err != nil {
			return nil, fmt.Errorf("run spec: %w", err)
		}
	}
	if cfg.FinalWait <= 0 {
		cfg.FinalWait = cfg.Spec.StopTimeout + 5*time.Second
		if open != nil {
			cfg.FinalWait = cfg.Spec.StopGrace() + max(open.spec.MaxLag, 0) + 5*time.Second
		}
	}
	if cfg.PollHold <= 0 {
		cfg.PollHold = 25 * time.Second
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = DefaultMaxWorkers
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Coordinator{
		cfg:     cfg,
		log:     log,
		auth:    wire.NewTokenCheck(cfg.Token),
		runID:   newRunID(),
		closed:  make(chan struct{}),
		notify:  make(chan struct{}, 1),
		workers: make(map[string]*workerRec),
		open:    open,
	}
	c.codecs.New = func() any { return &ingest{delta: results.NewDelta()} }
	c.mux = http.NewServeMux()
	c.mux.HandleFunc(wire.PathRegister, c.handleRegister)
	c.mux.HandleFunc(wire.PathHeartbeat, c.handleHeartbeat)
	c.mux.HandleFunc(wire.PathReport, c.handleReport)
	c.mux.HandleFunc(wire.PathCommands, c.handleCommands)
	return c, nil
}

func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RunID names this coordinator's run.
func (c *Coordinator) RunID() string { return c.runID }

// Handler is the control API. Every request must carry the token; others
// get 401 and change nothing. Without a token (on loopback only, see
// ListenCheck), the port answers no browser: a request must name this
// machine in its Host header (so that a page elsewhere cannot reach it
// through DNS rebinding) and carry no Origin or Sec-Fetch-Site header,
// which workers never send and browsers always do. Every POST body must
// be application/json, which a page cannot send elsewhere without asking
// first.
func (c *Coordinator) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.cfg.Token == "" {
			if he := notBrowser(r); he != nil {
				writeError(w, he)
				return
			}
		}
		if !c.auth.OK(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="loadgen"`)
			writeError(w, jsonhttp.Errorf(http.StatusUnauthorized, "missing or wrong token"))
			return
		}
		if r.Method == http.MethodPost && r.ContentLength != 0 {
			if he := jsonhttp.RequireJSON(r); he != nil {
				writeError(w, he)
				return
			}
		}
		c.mux.ServeHTTP(w, r)
	})
}

// notBrowser refuses what a web page could send to a control port that
// takes requests without a token.
func notBrowser(r *http.Request) *jsonhttp.Error {
	if !netaddr.LoopbackHostHeader(r.Host) {
		return jsonhttp.Errorf(http.StatusMisdirectedRequest, "host %q refused: without a token, the control port answers loopback names only", wire.Truncate(r.Host, 64))
	}
	if r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" {
		return jsonhttp.Errorf(http.StatusForbidden, "a browser's request refused: the control port takes workers' requests")
	}
	return nil
}

// Serve serves the control API on ln until Close. It returns nil after
// Close, like http.Server.Serve's ErrServerClosed.
func (c *Coordinator) Serve(ln net.Listener) error {
	srv := &http.Server{
		Handler:           c.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		// Bodies are capped by size; this caps a slow sender.
		ReadTimeout: 30 * time.Second,
		// Long polls are held for PollHold before answering.
		WriteTimeout: c.cfg.PollHold + 10*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(c.log.Handler(), slog.LevelDebug),
	}
	c.srvMu.Lock()
	select {
	case <-c.closed:
		c.srvMu.Unlock()
		return nil
	default:
	}
	c.srv = srv
	c.srvMu.Unlock()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("control server: %w", err)
	}
	return nil
}

// Close answers every held long poll and shuts down the server started by
// Serve, giving requests in progress up to 2 s. Call it after Run has
// returned, so that workers have had their quit command.
func (c *Coordinator) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	c.srvMu.Lock()
	srv := c.srv
	c.srvMu.Unlock()
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("control server shutdown: %w", err)
	}
	return nil
}

// wake tells Run that something it may be waiting for happened.
func (c *Coordinator) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// warnLocked records a warning for the result and logs it.
func (c *Coordinator) warnLocked(msg string) {
	c.warnings = append(c.warnings, msg)
	c.log.Warn(msg)
}
