package loadgen

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
)

// OpenOptions describe one open-model run: requests sent at a given rate,
// whether or not the target keeps up, as wrk2 and k6's arrival-rate
// executors send them. Latency counts from each request's intended send
// time, so a slow target cannot slow the measurement down and hide its own
// slowness (coordinated omission); the service time, from the actual send,
// is kept as a second series.
type OpenOptions struct {
	// Tasks are the weighted requests; each arrival runs one, in the exact
	// proportions of their weights.
	Tasks []users.Task
	// InitUser prepares each in-flight slot's User (see
	// users.DispatcherConfig.InitUser).
	InitUser func(u *users.User)
	// NewRand makes each slot's random source (see users.Config.NewRand).
	NewRand func(id int) *rand.Rand
	// Client names the HTTP client: "fasthttp" (the default) or "nethttp".
	Client string
	// ClientOptions configure each slot's client.
	ClientOptions client.Options
	// Rate is the total arrival rate: schedule.Constant(r) for a steady
	// rate, or stages (see schedule.ParseStages) for a ramp, which end the
	// run when they end.
	Rate schedule.Rate
	// Arrival spreads the requests evenly (the default) or as a Poisson
	// process.
	Arrival schedule.Arrival
	// Phase shifts even arrivals by a fraction of one request's interval,
	// so that workers sharing a rate interleave (see schedule.Rate.Split).
	Phase float64
	// MaxInFlight caps the requests in flight; zero means
	// users.DefaultMaxInFlight.
	MaxInFlight int
	// MaxLag is how late a request may be sent before it is dropped; zero
	// means users.DefaultMaxLag and a negative value never drops.
	MaxLag time.Duration
	// LateAfter is how late a request may be sent without counting as
	// late; zero means users.DefaultLateAfter.
	LateAfter time.Duration
	// RunTime ends the schedule; zero runs until the stages end, or until
	// ctx ends for a steady rate.
	RunTime time.Duration
	// StopTimeout is how long requests in flight at the end may take to
	// finish; zero means DefaultOpenStopTimeout. Requests still running
	// then are abandoned and counted as such.
	StopTimeout time.Duration
	// Seed makes Poisson arrivals, task rotation and generated data
	// reproducible.
	Seed uint64
	// Warmup is the first part of the run that is not counted, as in
	// Options.Warmup. The dispatcher's counts leave it out too, apart from
	// MaxLate and Slots, which cover the whole run.
	Warmup time.Duration
	// OnWarmupEnd, when set, gets the statistics the warm-up excluded.
	OnWarmupEnd func(*results.Snapshot)
	// Interval is how often statistics are collected; default one second.
	Interval time.Duration
	// EntryHistory keeps a per-entry history row each second.
	EntryHistory bool
	// OnTick, when set, gets a snapshot after each collection, whose user
	// count is the number of requests in flight. It runs on the collecting
	// goroutine, so it should return quickly.
	OnTick func(*results.Snapshot)
	// OnStats, when set, gets the dispatcher's counts after each OnTick, so
	// that a live display can show drops as they happen.
	OnStats func(users.OpenStats)
}

// DefaultOpenStopTimeout is how long an open-model run waits for its
// requests in flight when OpenOptions.StopTimeout is zero. Unlike a closed
// model's users, which simply stop, every request of an open schedule was
// sent on purpose, and those still in flight at the end are the slowest:
// cutting them off would drop exactly the latencies the run is there to
// see.
const DefaultOpenStopTimeout = 10 * time.Second

// RunOpen runs an open-model test to the end of its schedule, or until ctx
// ends, and returns the final statistics and the dispatcher's counts. The
// final snapshot's user count is the peak number of requests in flight.
// As with Run, a cancelled ctx is a normal way to stop.
//
// Check the counts' Warnings: requests the generator dropped or sent late
// mean the target got less load, or later, than the schedule asked for.
func RunOpen(ctx context.Context, opts OpenOptions) (*results.Snapshot, users.OpenStats, error) {
	kind := opts.Client
	if kind == "" {
		kind = client.KindFastHTTP
	}
	copts := opts.ClientOptions
	if _, err := client.New(kind, copts); err != nil {
		return nil, users.OpenStats{}, err
	}
	grace := opts.StopTimeout
	if grace <= 0 {
		grace = DefaultOpenStopTimeout
	}
	rate := opts.Rate.Until(opts.RunTime)
	arrivals, err := schedule.NewArrivals(opts.Arrival, rate, opts.Phase, opts.Seed)
	if err != nil {
		return nil, users.OpenStats{}, err
	}
	r, err := users.NewDispatcher(users.DispatcherConfig{
		Tasks:       opts.Tasks,
		Arrivals:    arrivals,
		NewClient:   func() (client.Client, error) { return client.New(kind, copts) },
		Seed:        opts.Seed,
		InitUser:    opts.InitUser,
		NewRand:     opts.NewRand,
		MaxInFlight: opts.MaxInFlight,
		MaxLag:      opts.MaxLag,
		LateAfter:   opts.LateAfter,
	})
	if err != nil {
		return nil, users.OpenStats{}, err
	}

	start := time.Now()
	dispatchCtx := ctx
	if rate.Bounded() {
		// The dispatcher ends by itself once the last request is sent or
		// dropped, MaxLag after its time at the latest. The deadline bounds
		// a run that never drops, whose last requests could otherwise wait
		// on a stalled target for ever.
		lag := max(r.Stats().MaxLag, 0)
		var cancel context.CancelFunc
		dispatchCtx, cancel = context.WithDeadline(ctx, start.Add(rate.Duration()+lag+grace))
		defer cancel()
	}
	c := newCollector(start, opts.EntryHistory, r.Drain)
	c.withWarmup(start, opts.Warmup, opts.OnWarmupEnd)
	defer c.stop()
	var warm users.OpenStats // the counts at the end of the warm-up
	done := make(chan error, 1)
	go func() { done <- r.Run(dispatchCtx, start) }()

	ticker := time.NewTicker(intervalOr(opts.Interval))
	defer ticker.Stop()
loop:
	for {
		select {
		case err := <-done:
			if err != nil {
				r.Stop(0)
				return nil, r.Stats(), err
			}
			break loop
		case now := <-c.warmupC():
			c.endWarmup(now, r.InFlight())
			warm = r.Stats()
		case now := <-ticker.C:
			snap := c.collect(now, r.InFlight())
			if opts.OnTick != nil {
				opts.OnTick(snap)
			}
			if opts.OnStats != nil {
				opts.OnStats(since(r.Stats(), warm))
			}
		}
	}
	r.Stop(grace)
	return c.collect(time.Now(), r.Slots()), since(r.Stats(), warm), nil
}

// since leaves out of s the counts a warm-up had reached.
func since(s, warm users.OpenStats) users.OpenStats {
	s.Scheduled -= warm.Scheduled
	s.Sent -= warm.Sent
	s.Late -= warm.Late
	s.Dropped -= warm.Dropped
	s.Saturated -= warm.Saturated
	s.Abandoned -= warm.Abandoned
	return s
}
