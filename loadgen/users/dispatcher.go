package users

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
)

// Open-model defaults, used where DispatcherConfig leaves a field zero.
const (
	// DefaultMaxInFlight caps the requests in flight at once. It is large:
	// the cap is a guard against exhausting the generator, not a way to
	// shape the load, and slots are made only as they are needed.
	DefaultMaxInFlight = 10000
	// DefaultMaxLag is how late a request may be sent before it is dropped.
	DefaultMaxLag = time.Second
	// DefaultLateAfter is how late a request may be sent and not be counted
	// as late: timer wake-ups on a busy machine routinely take a millisecond
	// or two, and that delay is in the request's latency either way.
	DefaultLateAfter = 10 * time.Millisecond
)

// DispatcherConfig describes an open-model run: requests sent at the times a
// schedule gives, however fast or slow the target answers, from a pool of
// in-flight slots that each keep their own connection.
type DispatcherConfig struct {
	// Tasks are the weighted requests; each arrival runs one, chosen by
	// smooth weighted round robin, so that the mix is exact over any window
	// of sum(weights) arrivals.
	Tasks []Task
	// Arrivals are the intended send times, from the start given to Run.
	Arrivals schedule.Arrivals
	// NewClient makes one slot's client.
	NewClient func() (client.Client, error)
	// Seed sets where the task rotation starts, and seeds the slots' random
	// sources when NewRand is nil.
	Seed uint64
	// InitUser, when set, prepares each slot's User before its first
	// request, as it prepares a closed-model user.
	InitUser func(u *User)
	// FirstID numbers the slots from FirstID+1.
	FirstID int
	// NewRand makes slot id's random source; nil seeds PCG from Seed and id.
	NewRand func(id int) *rand.Rand
	// MaxInFlight caps the slots, and so the requests in flight; zero or
	// less means DefaultMaxInFlight. A request that finds every slot busy
	// waits for one, and its latency includes the wait.
	MaxInFlight int
	// MaxLag is how long after its intended time a request may still be
	// sent; a request that could not be sent by then is dropped and
	// counted, not recorded. Zero means DefaultMaxLag; a negative MaxLag
	// never drops.
	MaxLag time.Duration
	// LateAfter is how long after its intended time a request may be sent
	// without being counted as late; zero or less means DefaultLateAfter.
	LateAfter time.Duration
	// Prepare is how many slots to make, and connect to ConnectURL, before
	// the first arrival (at most MaxInFlight). A start without them falls
	// behind while its first slots dial, and a dispatcher that is behind
	// makes more slots, each with a dial of its own: a hundred or more
	// connections and 10-20 ms of lateness at 20,000/s, where a dozen
	// slots do once the run has settled.
	Prepare int
	// ConnectURL is where prepared slots connect, when their clients are
	// client.Connectors; a slot that could not connect dials again for
	// its first request, which reports the failure.
	ConnectURL string
}

// Dispatcher runs an open-model schedule. One dispatcher goroutine walks
// the arrivals and hands each request, a small value, to an idle slot over
// an unbuffered channel; slots are goroutines made on demand up to the cap,
// recording into one recorder per group of recorderGroup slots, as users
// do. Nothing on the per-request path allocates.
type Dispatcher struct {
	cfg       DispatcherConfig
	keys      []results.EntryKey
	picker    *picker
	maxLag    time.Duration // negative: never drop
	work      chan openRequest
	start     time.Time // set by Run before the first slot starts
	hard      context.Context
	hardStop  context.CancelFunc
	runDone   chan struct{} // closed when Run returns
	slotsDone sync.WaitGroup

	mu       sync.Mutex
	groups   []*results.Recorder // slot i records into groups[i/recorderGroup]
	state    int                 // stateNew, stateRunning, stateStopped
	prepared bool                // Prepare or Run has made the prepared slots
	dispatch context.CancelFunc

	scheduled, sent, late, dropped, saturated, abandoned atomic.Uint64
	cut                                                  cutOff
	maxLate, nslots, busy                                atomic.Int64
	// peak is the most requests in flight at once; only the dispatcher
	// writes it, in countSent.
	peak  atomic.Int64
	delay delayHistogram
	// anyDone is set once a request has finished, for the slot growth
	// rule.
	anyDone atomic.Bool
	// coarse makes the dispatcher wait on Go's timers alone, for the
	// benchmark that prices the precise wait.
	coarse bool
	// woke is when the dispatcher last woke from a wait, since the start;
	// the dispatcher goroutine alone uses it.
	woke time.Duration
	// onWake, when set, is told each time the dispatcher wakes from a
	// wait, for the tests.
	onWake func(since time.Duration)
}

const (
	stateNew = iota
	stateRunning
	stateStopped
)

// openRequest is what the dispatcher hands a slot: small enough to pass by
// value through a channel without allocating.
type openRequest struct {
	at   time.Duration // intended time, since the start
	task int32
}

type slot struct {
	user *User
	rec  *results.Recorder
}

// NewDispatcher checks cfg and returns a dispatcher that has sent nothing.
func NewDispatcher(cfg DispatcherConfig) (*Dispatcher, error) {
	if cfg.NewClient == nil {
		return nil, errors.New("users: DispatcherConfig.NewClient is nil")
	}
	if cfg.Arrivals == nil {
		return nil, errors.New("users: DispatcherConfig.Arrivals is nil")
	}
	keys, weights, err := taskKeys(cfg.Tasks)
	if err != nil {
		return nil, err
	}
	if cfg.NewRand == nil {
		seed := cfg.Seed
		cfg.NewRand = func(id int) *rand.Rand { return rand.New(rand.NewPCG(seed, uint64(id))) }
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = DefaultMaxInFlight
	}
	if cfg.LateAfter <= 0 {
		cfg.LateAfter = DefaultLateAfter
	}
	r := &Dispatcher{
		cfg:     cfg,
		keys:    keys,
		maxLag:  cfg.MaxLag,
		work:    make(chan openRequest),
		runDone: make(chan struct{}),
	}
	switch {
	case r.maxLag == 0:
		r.maxLag = DefaultMaxLag
	case r.maxLag < 0:
		r.maxLag = -1
	}
	phase := rand.New(rand.NewPCG(cfg.Seed, 0)).IntN(sumInts(weights))
	r.picker = newPicker(weights, phase)
	r.hard, r.hardStop = context.WithCancel(context.Background())
	return r, nil
}

// taskKeys checks tasks as New does and returns their statistics rows and
// weights.
func taskKeys(tasks []Task) ([]results.EntryKey, []int, error) {
	keys := make([]results.EntryKey, 0, len(tasks))
	weights := make([]int, 0, len(tasks))
	total := 0
	for i, t := range tasks {
		if t.Run == nil {
			return nil, nil, fmt.Errorf("users: task %d (%s %s) has no Run function", i, t.Method, t.Name)
		}
		if t.Weight < 0 {
			return nil, nil, fmt.Errorf("users: task %d (%s %s) has negative weight %d", i, t.Method, t.Name, t.Weight)
		}
		total += t.Weight
		keys = append(keys, results.EntryKey{Method: t.Method, Name: t.Name})
		weights = append(weights, t.Weight)
	}
	if total == 0 {
		return nil, nil, ErrNoTasks
	}
	return keys, weights, nil
}

// Keys are the statistics rows of the runner's tasks, in task order.
func (r *Dispatcher) Keys() []results.EntryKey { return r.keys }

// Run dispatches the arrivals, timed from start, until they end, ctx ends
// or Stop is called, and then returns without waiting for the requests in
// flight (Stop waits for those). It returns an error only when a slot's
// client could not be made. A runner runs once.
func (r *Dispatcher) Run(ctx context.Context, start time.Time) error {
	r.mu.Lock()
	if r.state != stateNew {
		r.mu.Unlock()
		return errors.New("users: a dispatcher runs only once")
	}
	r.state = stateRunning
	ctx, cancel := context.WithCancel(ctx)
	r.dispatch = cancel
	r.start = start
	prepared := r.prepared
	r.prepared = true
	r.mu.Unlock()
	defer close(r.runDone)
	defer close(r.work) // idle slots end; busy ones end after their request
	defer cancel()
	if !prepared {
		if err := r.prepare(ctx); err != nil {
			return err
		}
	}
	return r.loop(ctx)
}

// prepareWait bounds how long the prepared slots' connections may hold up
// the start of the schedule; a slot not connected by then connects for its
// first request.
const prepareWait = time.Second

// Prepare makes the slots of DispatcherConfig.Prepare and connects them,
// all at once, within a second; a slot not connected by then connects for
// its first request. Run does this itself, on the schedule's clock, when
// Prepare has not been called: a caller that picks the start only once
// Prepare has returned keeps the dials out of the first requests'
// latencies. It returns an error only when a slot's client could not be
// made. Prepare is for before Run, and does nothing after it.
func (r *Dispatcher) Prepare(ctx context.Context) error {
	r.mu.Lock()
	done := r.prepared || r.state != stateNew
	r.prepared = true
	r.mu.Unlock()
	if done {
		return nil
	}
	return r.prepare(ctx)
}

// prepare makes the prepared slots and connects them, all at once, then
// lets them wait for work.
func (r *Dispatcher) prepare(ctx context.Context) error {
	n := min(r.cfg.Prepare, r.cfg.MaxInFlight)
	if n <= 0 {
		return nil
	}
	slots := make([]*slot, 0, n)
	var err error
	for range n {
		var s *slot
		if s, err = r.newSlot(0); err != nil {
			break
		}
		slots = append(slots, s)
	}
	if err == nil && r.cfg.ConnectURL != "" {
		cctx, cancel := context.WithTimeout(ctx, prepareWait)
		var wg sync.WaitGroup
		for _, s := range slots {
			if c, ok := s.user.Client.(client.Connector); ok {
				wg.Go(func() { _ = c.Connect(cctx, r.cfg.ConnectURL) })
			}
		}
		wg.Wait()
		cancel()
	}
	// Every slot made serves, so that Stop, which waits for them, ends.
	for _, s := range slots {
		go r.serve(s, nil)
	}
	return err
}

func (r *Dispatcher) loop(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var sleeper *preciseSleeper
	if !r.coarse {
		sleeper = newPreciseSleeper()
	}
	if sleeper != nil {
		defer sleeper.close()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		default:
		}
		at, ok := r.cfg.Arrivals.Next()
		if !ok {
			return nil
		}
		if !r.waitUntil(ctx, at, timer, sleeper) {
			return nil
		}
		r.scheduled.Add(1)
		if err := r.send(ctx, openRequest{at: at, task: int32(r.picker.next())}, timer); err != nil {
			return err
		}
	}
}

// coarseWait is how long before an intended time the dispatcher stops
// sleeping on Go's timers, which can wake it a millisecond late, and waits
// the rest precisely.
const coarseWait = 2 * time.Millisecond

// minWakeGap is the least time between two of the dispatcher's wake-ups.
// A wake-up costs a few system calls and context switches, about as much
// as the request it sends; at rates above one request per minWakeGap the
// dispatcher therefore sleeps until minWakeGap after its last wake-up and
// then sends every request that has come due, each late by at most
// minWakeGap, and that delay counts in its latency, which runs from its
// intended time. Below that rate every request has a wake-up of its own.
const minWakeGap = 200 * time.Microsecond

// waitUntil returns once the intended time at has come, or false when ctx
// ends first.
func (r *Dispatcher) waitUntil(ctx context.Context, at time.Duration, timer *time.Timer, sleeper *preciseSleeper) bool {
	if at-time.Since(r.start) <= 0 {
		return true
	}
	until := max(at, r.woke+minWakeGap)
	defer func() {
		r.woke = time.Since(r.start)
		if r.onWake != nil {
			r.onWake(r.woke)
		}
	}()
	for {
		wait := until - time.Since(r.start)
		if wait <= 0 {
			return true
		}
		if sleeper != nil && wait <= coarseWait {
			sleeper.sleep(wait)
			if ctx.Err() != nil {
				return false
			}
			continue
		}
		if sleeper != nil {
			wait -= coarseWait - time.Millisecond/2
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
		case <-timer.C:
		}
	}
}

// Slot growth. A request that finds every slot busy first lets the
// processor go a few times: on a busy core, slots whose responses have
// come back may simply not have run since, and they are the quickest way
// to a free slot. Until the first request has finished, a new slot (with
// a new connection) is then made at once, which dials the connections
// the start needs; after that only for a request that has waited growAfter
// for one, while the dispatcher's wait lets the network poller hand back
// the slots whose responses have come. A stall of the generator (a
// collection, a noisy neighbour), after which every slot looks busy at
// once, therefore no longer turns into hundreds of connections the target
// did not need, while a target that slows down still gets one more slot
// per request that waited, as many as its latency calls for. Sizing the
// slots from the rate and the recent service times was tried and made
// things worse: a stall of the generator inflates the service times it
// measures, and the estimate then calls for slots nobody needs.
const (
	handBackYields = 3
	growAfter      = 2 * time.Millisecond
)

// send hands a due request to an idle slot, to a new slot when growth is
// called for and the cap allows one more, or else to the first slot to
// come free within the lag bound; otherwise the request is dropped.
func (r *Dispatcher) send(ctx context.Context, req openRequest, timer *time.Timer) error {
	late := time.Since(r.start) - req.at
	if r.maxLag >= 0 && late > r.maxLag {
		r.dropped.Add(1)
		return nil
	}
	r.busy.Add(1)
	if r.offer(req) {
		r.countSent(late)
		return nil
	}
	for range handBackYields {
		runtime.Gosched()
		if r.offer(req) {
			r.countSent(time.Since(r.start) - req.at)
			return nil
		}
	}
	waitStart := time.Now()
	saturated := false
	for {
		slots := r.nslots.Load()
		canGrow := slots < int64(r.cfg.MaxInFlight)
		if canGrow && (!r.anyDone.Load() || time.Since(waitStart) >= growAfter) {
			if err := r.addSlot(req); err != nil {
				r.busy.Add(-1)
				r.dropped.Add(1)
				return err
			}
			r.countSent(time.Since(r.start) - req.at)
			return nil
		}
		if !canGrow && !saturated {
			saturated = true
			r.saturated.Add(1)
		}
		wait := time.Duration(math.MaxInt64)
		if canGrow {
			wait = growAfter - time.Since(waitStart)
		}
		if r.maxLag >= 0 {
			wait = min(wait, req.at+r.maxLag-time.Since(r.start))
		}
		timer.Reset(max(wait, 0))
		select {
		case r.work <- req:
			timer.Stop()
			r.countSent(time.Since(r.start) - req.at)
			return nil
		case <-ctx.Done():
			timer.Stop()
			r.busy.Add(-1)
			r.dropped.Add(1)
			return nil
		case <-timer.C:
			if r.maxLag >= 0 && time.Since(r.start)-req.at > r.maxLag {
				r.busy.Add(-1)
				r.dropped.Add(1)
				return nil
			}
		}
	}
}

// offer hands req to a slot waiting for work, if there is one.
func (r *Dispatcher) offer(req openRequest) bool {
	select {
	case r.work <- req:
		return true
	default:
		return false
	}
}

// countSent runs on the dispatcher only, so its counters have one writer.
func (r *Dispatcher) countSent(late time.Duration) {
	r.sent.Add(1)
	// Read once the request is with its slot: busy counted it before,
	// while it waited for one.
	if b := r.busy.Load(); b > r.peak.Load() {
		r.peak.Store(b)
	}
	if late > r.cfg.LateAfter {
		r.late.Add(1)
	}
	if int64(late) > r.maxLate.Load() {
		r.maxLate.Store(int64(late))
	}
}

func (r *Dispatcher) addSlot(first openRequest) error {
	s, err := r.newSlot(int(first.task))
	if err != nil {
		return err
	}
	go r.serve(s, &first)
	return nil
}

// newSlot makes a slot, counted and waited for, that serves nothing yet;
// a failure of InitUser is recorded under task.
func (r *Dispatcher) newSlot(task int) (*slot, error) {
	cl, err := r.cfg.NewClient()
	if err != nil {
		return nil, fmt.Errorf("users: making a client: %w", err)
	}
	n := int(r.nslots.Load())
	id := r.cfg.FirstID + n + 1
	r.mu.Lock()
	if n/recorderGroup >= len(r.groups) {
		r.groups = append(r.groups, results.NewRecorder(r.keys))
	}
	rec := r.groups[n/recorderGroup]
	r.mu.Unlock()
	s := &slot{
		user: &User{ID: id, Client: cl, Rand: r.cfg.NewRand(id)},
		rec:  rec,
	}
	if r.cfg.InitUser != nil {
		if err := initUser(r.cfg.InitUser, s.user); err != nil {
			// The slot goes on, as a user whose task panicked does.
			s.rec.Failure(task, 0, 0, results.NormalizeError(err))
		}
	}
	r.nslots.Add(1)
	r.slotsDone.Add(1)
	return s, nil
}

// serve is one slot's life: its first request, if it was made for one,
// then whatever the dispatcher hands it until the dispatcher is done.
func (r *Dispatcher) serve(s *slot, first *openRequest) {
	defer r.slotsDone.Done()
	defer s.user.Client.Close()
	if first != nil {
		r.do(s, *first)
	}
	for req := range r.work {
		r.do(s, req)
	}
}

// do runs one request. Its latency counts from the intended time, so any
// wait for a slot or for the dispatcher is in it; the service time counts
// from the actual send.
func (r *Dispatcher) do(s *slot, req openRequest) {
	s.user.Seq++
	sent := time.Now()
	r.delay.record(sent.Sub(r.start) - req.at)
	n, err := runTask(r.hard, &r.cfg.Tasks[req.task], s.user)
	done := time.Now()
	r.busy.Add(-1)
	if !r.anyDone.Load() {
		r.anyDone.Store(true)
	}
	if r.hard.Err() != nil {
		// Cut off by the end of a stop's grace period: neither a success
		// nor a failure of the target.
		r.abandoned.Add(1)
		r.cut.add(done.Sub(sent))
		return
	}
	o := results.Observation{
		Latency: done.Sub(r.start) - req.at,
		// Service must be positive to be recorded; a coarse clock could
		// show a fast request as taking no time at all.
		Service: max(done.Sub(sent), time.Nanosecond),
		Bytes:   n,
	}
	if err != nil {
		o.Err = results.NormalizeError(err)
		o.At = done
	}
	s.rec.Observe(int(req.task), o)
}

// InFlight is the number of requests handed to slots and not yet
// finished.
func (r *Dispatcher) InFlight() int { return int(max(r.busy.Load(), 0)) }

// Slots is the number of slots made so far, prepared ones included: the
// connections the run opened, at least as many as its requests in flight
// at once (Stats has that peak).
func (r *Dispatcher) Slots() int { return int(r.nslots.Load()) }

// PeakInFlight is the most requests that were in flight at once.
func (r *Dispatcher) PeakInFlight() int { return int(r.peak.Load()) }

// DispatchDelay is the quantile q (0 to 1) of how long after their
// intended times requests were actually sent, to within 3%: how closely
// the generator kept its schedule, whatever the target did.
func (r *Dispatcher) DispatchDelay(q float64) time.Duration { return r.delay.quantile(q) }

// Stats returns the dispatcher's counts so far.
func (r *Dispatcher) Stats() results.OpenStats {
	return results.OpenStats{
		Scheduled:   r.scheduled.Load(),
		Sent:        r.sent.Load(),
		Late:        r.late.Load(),
		Dropped:     r.dropped.Load(),
		Saturated:   r.saturated.Load(),
		Abandoned:   r.abandoned.Load(),
		MaxLate:     time.Duration(r.maxLate.Load()),
		Slots:       r.PeakInFlight(),
		MaxInFlight: r.cfg.MaxInFlight,
		MaxLag:      r.maxLag,
		LateAfter:   r.cfg.LateAfter,
	}
}

// Drain moves what every slot recorded since the last drain into d. It
// lets the processor go between recorders (see drainYielding), so that a
// drain never holds up the dispatcher for long.
func (r *Dispatcher) Drain(d *results.Delta) {
	r.mu.Lock()
	groups := r.groups
	r.mu.Unlock()
	drainYielding(groups, d)
	r.cut.drain(d)
}

// abandonWait bounds how long Stop waits, once the grace period is over
// and requests in flight are cancelled, for their slots to notice. Both
// clients end a cancelled request at once; a task that ignores its context
// could otherwise hold Stop for ever.
const abandonWait = time.Second

// Stop ends dispatching, then waits up to grace for the requests in
// flight; requests still running then are cancelled, counted as abandoned,
// and not recorded. Once Stop returns the counts are final and Drain
// collects the last of the statistics (unless a task ignored the
// cancellation for longer than a second). The runner cannot be restarted.
func (r *Dispatcher) Stop(grace time.Duration) {
	r.mu.Lock()
	prev := r.state
	r.state = stateStopped
	cancel := r.dispatch
	r.mu.Unlock()
	switch prev {
	case stateRunning:
		cancel()
		<-r.runDone
	case stateNew:
		// Run will not close it now, and slots that Prepare made wait
		// on it.
		close(r.work)
	}
	finished := make(chan struct{})
	go func() {
		r.slotsDone.Wait()
		close(finished)
	}()
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	select {
	case <-finished:
	case <-deadline.C:
		r.hardStop()
		deadline.Reset(abandonWait)
		select {
		case <-finished:
		case <-deadline.C:
		}
	}
	r.hardStop()
}
