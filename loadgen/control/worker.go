package control

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/internal/procstat"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/results"
)

// WorkerConfig describes a worker process.
type WorkerConfig struct {
	// Coordinator is the coordinator's base URL, such as
	// http://10.0.0.5:5557.
	Coordinator string
	// Token is the coordinator's shared secret; empty sends none.
	Token string
	// ID names the worker; default host-pid-random, unique per process.
	ID string
	// Version is this program's version, shown in the worker table.
	Version string
	// ConnectTimeout bounds how long the worker tries to register, at start
	// and again after losing its coordinator, before Run gives up with
	// ErrUnreachable; default 30 s.
	ConnectTimeout time.Duration
	// Logger receives the worker's log; nil discards it.
	Logger *slog.Logger
	// HTTPClient sends the control requests; nil uses a client of its own.
	// Its Timeout should be zero: each request has its own deadline.
	HTTPClient *http.Client
	// Workload, when set, makes what the users of a spawn command run,
	// instead of the spec's profile: programs that run their own task
	// code set it, and get every other setting from the spec.
	Workload func(spec *loadgen.Spec) (*loadgen.Workload, error)
}

// ErrUnreachable is returned by Worker.Run when it could not register
// with its coordinator within ConnectTimeout.
var ErrUnreachable = errors.New("coordinator unreachable")

// errGone is a 410 from the coordinator: register again.
var errGone = errors.New("the coordinator does not know this worker")

// permanentError is a refusal that retrying cannot fix: a wrong token, a
// protocol version the coordinator does not speak.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Worker runs users on behalf of a coordinator: it registers, heartbeats,
// reports its statistics every second and follows the coordinator's
// commands. If the coordinator goes silent for MissedHeartbeats heartbeat
// intervals, the worker stops its users at once (no load runs without a
// coordinator watching) and tries to register again until ConnectTimeout.
type Worker struct {
	cfg  WorkerConfig
	log  *slog.Logger
	base string
	hc   *http.Client
	host string

	// contact is the unix nanoseconds of the coordinator's last answer to a
	// registration or heartbeat. Only those count: the coordinator judges a
	// worker by its heartbeats alone, and a long poll answered late (held
	// from before a partition, say) must not keep this worker sending
	// after the coordinator has handed its load to others.
	contact atomic.Int64
	flush   chan struct{} // asks the report loop to send now
	// hbMu keeps heartbeats in order: each one carries cumulative counts,
	// so one sampled earlier must not arrive after one sampled later.
	hbMu sync.Mutex

	mu       sync.Mutex
	proc     procstat.Sampler
	run      *workerRun // the current run; nil before the first command
	state    wire.WorkerState
	failure  string
	seq      uint64         // last report sequence number used in this run
	inflight *outReport     // sent, not yet acknowledged
	pending  *results.Delta // measured since inflight was built
	codec    results.DeltaCodec
}

// outReport is a report that is resent unchanged until acknowledged.
type outReport struct {
	path  string // with the query string
	body  []byte
	seq   uint64
	final bool
	run   *workerRun
	// counted is set once the final counts of an open-model run went out
	// ahead of this final report.
	counted bool
}

// NewWorker checks cfg and returns a worker; Run starts it.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	u, err := url.Parse(cfg.Coordinator)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("coordinator URL %q: want http://host:port", cfg.Coordinator)
	}
	host, _ := os.Hostname()
	if cfg.ID == "" {
		cfg.ID = defaultWorkerID(host)
	}
	if err := wire.CheckID(cfg.ID); err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	hc := cfg.HTTPClient
	if hc == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Heartbeats, reports and the long poll run side by side.
		t.MaxIdleConnsPerHost = 4
		hc = &http.Client{Transport: t}
	}
	return &Worker{
		cfg:     cfg,
		log:     log.With("worker", cfg.ID),
		base:    strings.TrimRight(cfg.Coordinator, "/"),
		hc:      hc,
		host:    host,
		flush:   make(chan struct{}, 1),
		state:   wire.StateReady,
		pending: results.NewDelta(),
	}, nil
}

// defaultWorkerID is unique per process, so that a restarted worker is a
// new worker to the coordinator and never inherits a dead one's counters.
func defaultWorkerID(host string) string {
	var b [3]byte
	_, _ = crand.Read(b[:])
	var clean strings.Builder
	for _, r := range host {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			clean.WriteRune(r)
		}
	}
	h := clean.String()
	if h == "" {
		h = "worker"
	}
	return fmt.Sprintf("%s-%d-%s", wire.Truncate(h, 64), os.Getpid(), hex.EncodeToString(b[:]))
}

// ID returns the worker's ID.
func (w *Worker) ID() string { return w.cfg.ID }

// Run registers with the coordinator and works until told to quit (nil),
// until ctx ends (nil, after stopping its users, sending its final report
// and telling the coordinator it leaves), or until the coordinator cannot
// be reached for ConnectTimeout, at start or after losing it (an error
// wrapping ErrUnreachable). A wrong token, or a spec this worker cannot
// run, is an error at once.
func (w *Worker) Run(ctx context.Context) error {
	defer w.abandon()
	lostAt := time.Time{}
	for {
		reg, err := w.register(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !lostAt.IsZero() {
				return fmt.Errorf("lost the coordinator at %s, %v ago: %w", lostAt.Format(time.TimeOnly), time.Since(lostAt).Round(time.Second), err)
			}
			return err
		}
		out, err := w.serve(ctx, reg)
		switch out {
		case outcomeQuit:
			w.finish(ctx, false)
			w.log.Info("quit by the coordinator")
			return nil
		case outcomeCanceled:
			w.finish(ctx, true)
			return nil
		case outcomeFatal:
			return err
		case outcomeLost:
			lostAt = time.Now()
			w.log.Warn("coordinator lost: users stopped; registering again", "connect_timeout", w.cfg.ConnectTimeout)
		case outcomeGone:
			lostAt = time.Now()
			w.log.Warn("the coordinator no longer counts this worker in: users stopped; registering again")
		}
	}
}

// register tries to register until it succeeds or ConnectTimeout passes,
// backing off from 250 ms to 2 s between attempts.
func (w *Worker) register(ctx context.Context) (wire.RegisterResponse, error) {
	deadline := time.Now().Add(w.cfg.ConnectTimeout)
	msg := wire.RegisterRequest{
		V: wire.ProtocolVersion, ID: w.cfg.ID, Host: w.host, Version: w.cfg.Version,
		Cores: runtime.NumCPU(), PID: os.Getpid(),
	}
	backoff := 250 * time.Millisecond
	var lastErr error
	for attempt := 1; ; attempt++ {
		// Each attempt gets at least a second, so that the last one, at the
		// deadline, can fail for a reason worth reporting.
		actx, cancel := context.WithTimeout(ctx, min(5*time.Second, max(time.Until(deadline), time.Second)))
		var resp wire.RegisterResponse
		status, err := w.exchange(actx, http.MethodPost, wire.PathRegister, msg, &resp, wire.MaxMessageBytes)
		cancel()
		if err == nil && status == http.StatusOK {
			if err = resp.Validate(); err == nil {
				w.touch()
				if resp.Version != w.cfg.Version {
					w.log.Warn("coordinator runs another version", "coordinator", resp.Version, "worker", w.cfg.Version)
				}
				w.log.Info("registered", "coordinator", w.base)
				return resp, nil
			}
			err = &permanentError{fmt.Errorf("registering with %s: %w", w.base, err)}
		}
		var pe *permanentError
		if errors.As(err, &pe) {
			return wire.RegisterResponse{}, err
		}
		if err == nil {
			err = fmt.Errorf("HTTP %d", status)
		}
		lastErr = err
		if !time.Now().Before(deadline) {
			return wire.RegisterResponse{}, fmt.Errorf("%w: could not register with %s within %v (%d attempts; last error: %v)",
				ErrUnreachable, w.base, w.cfg.ConnectTimeout, attempt, lastErr)
		}
		// Jittered, so a fleet that lost its coordinator does not come back
		// in lockstep; the last attempt is made at the deadline.
		wait := min(backoff/2+rand.N(backoff/2+1), time.Until(deadline))
		w.log.Debug("coordinator not reachable yet", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return wire.RegisterResponse{}, ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (w *Worker) touch() { w.contact.Store(time.Now().UnixNano()) }

func (w *Worker) sinceContact() time.Duration {
	return time.Since(time.Unix(0, w.contact.Load()))
}
