package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/internal/embedded"
	"github.com/loadgen/loadgen/internal/procstat"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/threshold"
)

// Start runs spec on engine and returns at once with the run in
// progress. It resolves what the Spec leaves open (a seed from the clock;
// for a profile without a host, the embedded album service, started for
// the run unless the hooks give one), compiles it, and adds to whatever engine runs it
// what every run shares, so that it exists once: the warm-up's note, the
// thresholds and the rule that stops a run at the first breach, the CPU
// spent per request, and the interruption's note. The run ends at its run
// time, when ctx ends (a normal way to stop: its result is complete), or
// on Stop.
func Start(ctx context.Context, engine Engine, spec *Spec, h Hooks) (Run, error) {
	s := *spec
	s.Seed = SeedOr(s.Seed)
	if s.Client == "" {
		s.Client = client.KindFastHTTP
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	if h.Logger == nil {
		h.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if len(s.Stages) > 0 && s.RunTime == 0 {
		s.RunTime = profiles.StagesDuration(s.Stages)
	}
	r := &run{ctx: ctx, started: time.Now(), cpu0: procstat.CPU() + procstat.ChildrenCPU(), breach: make(chan struct{})}
	if s.Host == "" && s.Workload == nil {
		if err := r.embed(&s, h); err != nil {
			return nil, err
		}
	}
	plan, err := s.Plan()
	if err != nil {
		r.release()
		return nil, err
	}
	r.plan, r.spec, r.log = plan, &s, h.Logger
	h = r.hooks(h)
	for _, n := range plan.Notices {
		r.log.Warn(n)
	}
	r.log.Info("starting", startAttrs(&s, plan)...)
	r.ms, r.serving = newMilestones(r.log, plan), h.Serving
	r.ms.started(&s)
	inner, err := engine.Execute(ctx, plan, h)
	if err != nil {
		r.release()
		return nil, err
	}
	r.Run = inner
	go r.ms.follow(r)
	if len(s.Stages) > 0 {
		go followStages(r, s.Stages, r.log)
	}
	go func() {
		// The abort rule asks from the collecting goroutine; the run is
		// stopped from here, where it is known.
		select {
		case <-r.breach:
			_ = inner.Stop(context.Background())
		case <-inner.Done():
		}
	}()
	return r, nil
}

// hooks are h with what every run adds: the abort rule on each tick, and
// the warm-up's note.
func (r *run) hooks(h Hooks) Hooks {
	user := h
	h.OnTick = func(t Tick) {
		r.abortOnBreach(t.Snapshot)
		if user.OnTick != nil {
			user.OnTick(t)
		}
	}
	h.OnWarmupEnd = func(excluded *results.Snapshot) {
		note := fmt.Sprintf("warm-up of %s excluded: %d requests, %d failures", r.spec.Warmup, excluded.Total.Count(), excluded.Total.Failures())
		user.Logger.Info(note)
		r.note(note)
		if user.OnWarmupEnd != nil {
			user.OnWarmupEnd(excluded)
		}
	}
	return h
}

// startAttrs describe a run as it starts, for the log.
func startAttrs(s *Spec, p *Plan) []any {
	attrs := []any{"host", s.RedactedHost(), "profile", p.Name()}
	if s.Open != nil {
		attrs = append(attrs, "rate", s.Open.Rate.Start, "arrival", s.Open.Arrival.String())
	} else {
		attrs = append(attrs, "users", s.Users, "spawn_rate", s.SpawnRate)
	}
	return append(attrs, "run_time", s.RunTime, "client", s.Client, "seed", s.Seed)
}

// Do runs spec in this process to its end, or until ctx ends, and returns
// its result.
func Do(ctx context.Context, spec *Spec, h Hooks) (*Result, error) {
	r, err := Start(ctx, Local{}, spec, h)
	if err != nil {
		return nil, err
	}
	return r.Wait()
}

// run is a Run with what every run shares around the engine's.
type run struct {
	Run
	ctx     context.Context
	log     *slog.Logger
	plan    *Plan
	spec    *Spec
	started time.Time
	cpu0    time.Duration
	// release stops what the run started for itself (the embedded
	// service).
	releaseFn func()
	embedded  bool

	// breach is closed when a threshold is breached and the Spec asks to
	// abort.
	breach chan struct{}
	// ms logs the run's milestones; serving is Hooks.Serving; stopped is
	// set once Stop has been called.
	ms      *milestones
	serving bool
	stopped atomic.Bool

	mu       sync.Mutex
	notes    []string
	breached *threshold.Result
	final    *Result
	finalErr error
	finished bool
}

// embed points the run at the embedded album service.
func (r *run) embed(s *Spec, h Hooks) error {
	r.embedded = true
	s.Store = s.storeOrDefault()
	if h.Target != nil {
		url, err := h.Target(s.storeOrDefault())
		if err != nil {
			return err
		}
		s.Host = url
		embeddedNotice(h.Logger, url)
		return nil
	}
	store, err := albumsvc.ParseStoreKind(s.storeOrDefault())
	if err != nil {
		return &SpecError{Setting: "store", Err: err}
	}
	// Its routine messages would only clutter the run's output.
	svc, err := embedded.Start(store, slog.New(quiet{h.Logger.Handler()}).With("component", "albumsvc"))
	if err != nil {
		return err
	}
	h.Logger.Info("embedded album service started", "url", svc.URL, "store", string(store))
	s.Host = svc.URL
	embeddedNotice(h.Logger, svc.URL)
	r.releaseFn = func() { _ = svc.Stop() }
	return nil
}

// embeddedNotice says, whatever the log level, that a run tests the
// album service embedded in loadgen: a run that was meant for another
// target (its host lost on the way) must not pass unnoticed.
func embeddedNotice(log *slog.Logger, url string) {
	log.Warn("no host given: this run tests the album service embedded in loadgen, not a service of yours (--host, or host in a profile or config file, names the target)", "url", url)
}

func (r *run) release() {
	if r.releaseFn != nil {
		r.releaseFn()
		r.releaseFn = nil
	}
}

func (r *run) note(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, msg)
}

// abortOnBreach stops the run at the first breached threshold, when the
// Spec asks for it.
func (r *run) abortOnBreach(s *results.Snapshot) {
	if !r.spec.AbortOnThreshold || len(r.plan.Thresholds) == 0 || s == nil {
		return
	}
	r.mu.Lock()
	if r.breached != nil {
		r.mu.Unlock()
		return
	}
	rs, _ := threshold.EvaluateAll(r.plan.Thresholds, s)
	for i := range rs {
		if rs[i].Breached() {
			r.breached = &rs[i]
			close(r.breach)
			break
		}
	}
	r.mu.Unlock()
}

func (r *run) Spec() *Spec { return r.spec }

// Edit is the engine's, and a closed-model ramp's milestones.
func (r *run) Edit(c Change) error {
	if r.spec.Open != nil {
		return r.Run.Edit(c)
	}
	r.ms.arm(c.Users)
	if err := r.Run.Edit(c); err != nil {
		r.ms.disarm()
		return err
	}
	r.ms.ramping(c.Users, c.SpawnRate)
	return nil
}

// Stop is the engine's; a run stopped so did not reach its run time.
func (r *run) Stop(ctx context.Context) error {
	r.stopped.Store(true)
	return r.Run.Stop(ctx)
}

// State is the engine's, except that a run is stopped only once it is
// done: an engine may call itself stopped while it puts its result
// together, and whoever reads "stopped" must get the final result.
func (r *run) State() State {
	s := r.Run.State()
	if s == StateStopped {
		select {
		case <-r.Run.Done():
		default:
			return StateStopping
		}
	}
	return s
}

// Warnings are the run's notes, then the engine's warnings.
func (r *run) Warnings() []string {
	r.mu.Lock()
	out := append([]string(nil), r.notes...)
	r.mu.Unlock()
	return append(out, r.Run.Warnings()...)
}

// Wait waits for the engine's run, then completes its result.
func (r *run) Wait() (*Result, error) {
	res, err := r.Run.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.finished {
		r.finished = true
		r.release()
		r.final, r.finalErr = r.complete(res), err
	}
	return r.final, r.finalErr
}

// Result is the result so far, or the final one once the run has stopped.
func (r *run) Result() *Result {
	select {
	case <-r.Run.Done():
		res, _ := r.Wait()
		return res
	default:
	}
	res := r.Run.Result()
	out := r.describe(res)
	out.Warnings = r.Warnings()
	out.Workers = r.Run.Workers()
	r.evaluate(out)
	return out
}

// describe is res with the run's description.
func (r *run) describe(res *Result) *Result {
	out := &Result{}
	if res != nil {
		*out = *res
	}
	out.Spec, out.Name, out.Embedded, out.Started = r.spec, r.plan.Name(), r.embedded, r.started
	if out.Snapshot == nil {
		out.Snapshot = r.Run.Snapshot()
	}
	return out
}

func (r *run) evaluate(res *Result) {
	if len(r.plan.Thresholds) > 0 {
		res.Thresholds, res.ThresholdsPassed = threshold.EvaluateAll(r.plan.Thresholds, res.Snapshot)
	}
}

// complete finishes the engine's result with what every run shares. It
// runs once the engine has stopped, and the worker processes it started
// have exited, so the CPU time covers them too.
func (r *run) complete(res *Result) *Result {
	out := r.describe(res)
	out.CPU = procstat.CPU() + procstat.ChildrenCPU() - r.cpu0
	out.Requests = out.Snapshot.Total.Count() + out.Excluded
	notes := append([]string(nil), r.notes...)
	if b := r.breached; b != nil {
		out.Breached = b
		msg := fmt.Sprintf("aborted after %s: threshold %s breached (measured %s)", out.Snapshot.Elapsed().Round(time.Millisecond), b.Threshold.Source, b.Measured)
		r.log.Warn(msg)
		notes = append(notes, msg)
	} else if r.ctx.Err() != nil {
		out.Interrupted = true
		r.log.Warn("interrupted: writing the results measured so far")
		notes = append(notes, "interrupted after "+out.Snapshot.Elapsed().Round(time.Millisecond).String())
	} else if !r.stopped.Load() && r.spec.RunTime > 0 && time.Since(r.started) >= r.spec.RunTime {
		r.ms.ended(r.ctx, r.serving)
	}
	out.Warnings = append(notes, out.Warnings...)
	for _, w := range outcomeWarnings(out.Snapshot) {
		r.log.Warn(w)
		out.Warnings = append(out.Warnings, w)
	}
	r.evaluate(out)
	return out
}

// quiet passes on warnings and errors only, unless its handler logs
// debug messages.
type quiet struct{ slog.Handler }

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool {
	if q.Handler.Enabled(ctx, slog.LevelDebug) {
		return true
	}
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}

// WithAttrs keeps the filter: the embedded Handler's own would return an
// unfiltered handler, and the album service logs through a With logger.
func (q quiet) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quiet{q.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the filter, as WithAttrs does.
func (q quiet) WithGroup(name string) slog.Handler {
	return quiet{q.Handler.WithGroup(name)}
}

// followStages moves a run's users through its stages by editing it, in
// one process or on workers alike: each stage ramps from the users before
// it to its own at the rate that takes its duration (at once for a stage
// of none). A run still waiting for its workers is asked again shortly;
// the stages' clock runs from the start all the same.
func followStages(r Run, stages []profiles.Stage, log *slog.Logger) {
	start := time.Now()
	at := time.Duration(0)
	from := 0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for _, st := range stages {
		rate := 0.0
		if st.Duration > 0 && st.Users != from {
			rate = float64(max(st.Users-from, from-st.Users)) / st.Duration.Seconds()
		}
		for {
			err := r.Edit(Change{Users: st.Users, SpawnRate: rate})
			if err == nil {
				break
			}
			if !errors.Is(err, ErrNotRunning) {
				if !errors.Is(err, ErrEnded) {
					log.Warn("stages: the run refused a stage", "users", st.Users, "err", err)
				}
				return
			}
			select {
			case <-r.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		from = st.Users
		at += st.Duration
		timer.Reset(time.Until(start.Add(at)))
		select {
		case <-r.Done():
			return
		case <-timer.C:
		}
	}
}
