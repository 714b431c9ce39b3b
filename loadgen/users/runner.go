package users

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
)

// Config describes the users a Runner runs: one class of users made of
// Tasks, Wait, InitUser and ExpectedInterval, or the weighted Classes.
type Config struct {
	// Tasks are the weighted actions every user chooses from.
	Tasks []Task
	// Wait is the pause after each task; nil means none.
	Wait Waiter
	// NewClient makes one user's client, so that each user keeps its own
	// connection.
	NewClient func() (client.Client, error)
	// Seed makes task choice, waits and rendered bodies reproducible.
	Seed uint64
	// InitUser, when set, prepares each new user before its first task,
	// typically by setting User.Data. It runs where the user's tasks run,
	// so a slow one (a login, say) delays that user alone.
	InitUser func(u *User)
	// FirstID numbers this runner's users from FirstID+1, so that the users
	// of several workers get distinct IDs.
	FirstID int
	// NewRand makes user id's random source; nil seeds PCG from Seed and id.
	NewRand func(id int) *rand.Rand
	// ExpectedInterval, when positive, is the intended time between the
	// starts of a user's tasks, known when waits pace the users. Every
	// task run is then also recorded into the coordinated-omission
	// corrected series, which adds the runs a slow response kept the user
	// from starting.
	ExpectedInterval time.Duration

	// Classes, when set, replace Tasks, Wait, InitUser and
	// ExpectedInterval: users are spread over them by weight as Locust
	// spreads its users over its classes (see schedule.Classes): the k-th
	// user started belongs to the k-th class of a smooth weighted round
	// robin, and the newest retire first, so the mix stays as close to the
	// weights as whole users allow.
	Classes []Class
	// Rows, when set, are the run's statistics rows, shared with whoever
	// resolves rows by index (a profile's journeys); nil makes new ones.
	Rows *results.Rows
	// UserOffset and UserStride place this runner's users in a fleet's
	// start order: its k-th user is the fleet's user UserOffset +
	// k*UserStride, whose class the fleet's mix decides, so that workers
	// w of n (offset w, stride n) together run the mix of one process.
	// Zero stride means 1.
	UserOffset, UserStride int
}

// Runner starts, runs and retires users. Its methods are safe for concurrent
// use; the per-request path of each user touches nothing shared but its
// group's recorder.
//
// Users are not goroutines. A user that waits between tasks is an entry in
// a queue ordered by wake time, and a pool of workers, one per task in
// progress, runs the users whose time has come; a user that does not wait
// keeps its worker. Sleeping users thus cost no stack, a worker's stack
// grows once rather than once per user, and the Go scheduler sees as many
// goroutines as there are tasks in flight.
//
// Users record into one recorder per group of recorderGroup users, by
// their position in the start order, so that the collection each second
// walks a few hundred recorders rather than every user. A user's InitUser
// runs on a worker before its first task, so a slow InitUser (a login,
// say) holds up neither the ramp nor the statistics.
type Runner struct {
	cfg     Config
	rows    *results.Rows
	classes []*classState
	mix     *schedule.Classes
	epoch   time.Time

	// hard ends requests still in flight once a stop's grace period is
	// over.
	hard       context.Context
	hardCancel context.CancelFunc

	// setMu serialises SetUsers, which makes users without holding mu.
	setMu sync.Mutex

	mu      sync.Mutex
	active  []*running // in start order: the newest retire first
	retired []*running // stopped, not yet finished
	groups  []*results.Recorder
	nextID  int
	stopped bool

	count atomic.Int64
	// cut counts the requests a stop cut off.
	cut cutOff

	// The sleeping users and the workers.
	sched    sync.Mutex // guards the fields below, running.state and running.index
	sleeping sleepQueue
	idle     []*worker     // most recently idle last
	quitting bool          // set by Stop: workers end instead of idling
	wake     chan struct{} // nudges the waker when the earliest wake time moves up
	workers  atomic.Int64
	wakerUp  sync.Once
	quit     chan struct{} // closed by Stop: the waker ends
}

// worker is a goroutine that runs users' tasks. Idle workers wait on their
// own channel in a stack, so that the most recently busy one, whose stack
// is still in the cache, is the next to work, and those idle longest can
// be let go.
type worker struct {
	next      chan *running // nil: end
	idleSince time.Duration
}

// idleWorkerTimeout is how long a worker may stay idle before it ends: a
// wave of users starting at once needs many workers, users that think
// between tasks few. It spans several think times, because users started
// together keep coming due together: a worker let go between two waves is
// made again for the next with a fresh stack, whose growth and first
// page faults cost more than the request it runs (1,000 users thinking
// 2 s for 20 s made 1,058 to 1,177 workers with a timeout of a second,
// 211 to 569 with this one).
// The workers it keeps are the peak of the waves, which the peak memory
// holds anyway.
const idleWorkerTimeout = 10 * time.Second

// drainYielding drains each recorder into d and lets the processor go
// after each one. A drain folds a second's samples into histograms, a few
// milliseconds of work at tens of thousands of requests a second; done in
// one stretch on a generator with one core, it would hold up every user's
// wake-up and the open model's dispatcher for as long, which then shows
// as latency in the very run it measures. Recorders may be drained while
// they are recorded into; groups is only read.
func drainYielding(groups []*results.Recorder, d *results.Delta) {
	for _, g := range groups {
		g.Drain(d)
		runtime.Gosched()
	}
}

// recorderGroup is how many users share a recorder. Recording takes the
// recorder's mutex for about 20 ns, so even 32 users at full speed rarely
// meet there, while 10,000 users need only 313 recorders.
const recorderGroup = 32

// A user's state, guarded by Runner.sched.
const (
	userRunning  = iota // on a worker, or handed to one
	userSleeping        // in the sleep queue
	userFinished        // done closed
)

type running struct {
	user   *User
	class  *classState
	rec    *results.Recorder // shared with the user's group
	picker *picker
	// retired ends the user between tasks.
	retired atomic.Bool
	done    chan struct{}
	started bool // the class's start has run; touched by the user's worker only
	live    bool // the start succeeded: the class's stop is due

	wakeAt time.Duration // since the runner's epoch, while sleeping
	index  int           // in the sleep queue, while sleeping
	state  int
}

// ErrNoTasks is returned by New when no task has a positive weight.
var ErrNoTasks = errors.New("no task has a positive weight")

// New checks cfg and returns a Runner with no users.
func New(cfg Config) (*Runner, error) {
	if cfg.NewClient == nil {
		return nil, errors.New("users: Config.NewClient is nil")
	}
	if cfg.NewRand == nil {
		seed := cfg.Seed
		cfg.NewRand = func(id int) *rand.Rand { return rand.New(rand.NewPCG(seed, uint64(id))) }
	}
	r := &Runner{
		cfg: cfg, nextID: cfg.FirstID, rows: cfg.Rows,
		epoch: time.Now(),
		wake:  make(chan struct{}, 1),
		quit:  make(chan struct{}),
	}
	if r.rows == nil {
		r.rows = results.NewRows()
	}
	classes := cfg.Classes
	if len(classes) == 0 {
		classes = []Class{{Weight: 1, Tasks: cfg.Tasks, Wait: cfg.Wait, InitUser: cfg.InitUser, ExpectedInterval: cfg.ExpectedInterval}}
	}
	weights := make([]int, len(classes))
	for i := range classes {
		cs, err := newClassState(&classes[i], r.rows)
		switch {
		case err == nil:
		case len(classes) == 1:
			return nil, err
		case errors.Is(err, ErrNoTasks) && classes[i].Weight == 0:
			// A class with no users needs no tasks.
		case errors.Is(err, ErrNoTasks):
			return nil, fmt.Errorf("users: class %s: %w", classes[i].Name, err)
		default:
			return nil, err
		}
		r.classes = append(r.classes, cs)
		weights[i] = classes[i].Weight
	}
	mix, err := schedule.NewClasses(weights)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	r.mix = mix
	r.hard, r.hardCancel = context.WithCancel(context.Background())
	return r, nil
}

// Keys are the statistics rows of the run so far: its tasks' rows, in
// class and task order, then those its users' requests have named.
func (r *Runner) Keys() []results.EntryKey { return r.rows.Keys() }

// Rows are the run's statistics rows.
func (r *Runner) Rows() *results.Rows { return r.rows }

// Users is the number of users running now.
func (r *Runner) Users() int { return int(r.count.Load()) }

// Workers is the number of worker goroutines made so far: the peak number
// of users whose tasks ran at once.
func (r *Runner) Workers() int { return int(r.workers.Load()) }

// ErrStopped is returned by SetUsers once the runner is stopped.
var ErrStopped = errors.New("users: runner is stopped")

// SetUsers starts or retires users until n run. A retired user finishes the
// task it is running; the newest users retire first, as in Locust. New
// users start their first task at once.
func (r *Runner) SetUsers(n int) error {
	r.setMu.Lock()
	defer r.setMu.Unlock()

	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return ErrStopped
	}
	for len(r.active) > n {
		last := r.active[len(r.active)-1]
		r.active = r.active[:len(r.active)-1]
		r.retire(last)
		r.retired = append(r.retired, last)
	}
	pos, firstID := len(r.active), r.nextID
	offset, stride := r.cfg.UserOffset, max(r.cfg.UserStride, 1)
	add := max(n-pos, 0)
	r.nextID += add
	for len(r.groups)*recorderGroup < pos+add {
		r.groups = append(r.groups, results.NewRowsRecorder(r.rows))
	}
	groups := r.groups
	r.count.Store(int64(pos))
	r.mu.Unlock()
	if add == 0 {
		return nil
	}

	// The new users are made without the lock, so that the collection
	// goes on meanwhile; setMu keeps other SetUsers calls out.
	made := make([]*running, 0, add)
	for i := range add {
		cl, err := r.cfg.NewClient()
		if err != nil {
			for _, u := range made {
				_ = u.user.Client.Close()
			}
			return fmt.Errorf("users: making a client: %w", err)
		}
		id := firstID + i + 1
		// The class is the one the mix gives this place in the fleet's
		// start order.
		ordinal := offset + (pos+i)*stride
		ci := r.mix.Of(ordinal)
		cs := r.classes[ci]
		rec := groups[(pos+i)/recorderGroup]
		u := &running{
			user: &User{ID: id, Client: cs.session(cl), Rand: r.cfg.NewRand(id),
				Class: cs.Name, ClassRank: r.mix.Counts(ordinal)[ci], rec: rec, rows: r.rows},
			class: cs,
			rec:   rec,
			done:  make(chan struct{}),
		}
		u.picker = newPicker(cs.weights, int(u.user.Rand.Uint64()%uint64(cs.total)))
		made = append(made, u)
	}

	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		for _, u := range made {
			_ = u.user.Client.Close()
		}
		return ErrStopped
	}
	r.active = append(r.active, made...)
	r.count.Store(int64(len(r.active)))
	r.mu.Unlock()
	// The waker starts them, reusing the workers of users whose tasks
	// finish meanwhile. A Stop from here on retires them, and they end
	// as soon as a worker takes them.
	r.wakerUp.Do(func() { go r.waker() })
	now := time.Since(r.epoch)
	r.sched.Lock()
	for _, u := range made {
		u.wakeAt = now
		u.state = userSleeping
		heap.Push(&r.sleeping, u)
	}
	r.sched.Unlock()
	r.nudge()
	return nil
}

// nudge wakes the waker to look at the sleep queue again.
func (r *Runner) nudge() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Ramp moves the user count to target at rate users per second, starting
// users evenly through each second, and returns when the target is reached,
// ctx ends or the runner stops.
func (r *Runner) Ramp(ctx context.Context, target int, rate float64) error {
	ramp := schedule.Ramp{From: r.Users(), To: target, Rate: rate}
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		// One reading of the clock for both: a SetUsers that took long must
		// not let the ramp end short of its target.
		t := time.Since(start)
		if err := r.SetUsers(ramp.UsersAt(t)); err != nil {
			return err
		}
		next, ok := ramp.NextChange(t)
		if !ok {
			return nil
		}
		timer.Reset(time.Until(start.Add(next)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
}

func sumInts(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

// retire ends u between tasks: at once if it is sleeping, after its task
// if it is running. A sleeping user whose class has a stop to run goes to
// a worker for it, never to the caller, which may hold the runner's lock.
func (r *Runner) retire(u *running) {
	u.retired.Store(true)
	r.sched.Lock()
	sleeping := u.state == userSleeping
	stop := sleeping && u.live && u.class.OnStop != nil
	if sleeping {
		heap.Remove(&r.sleeping, u.index)
		u.state = userFinished
		if stop {
			u.state = userRunning
		}
	}
	r.sched.Unlock()
	switch {
	case stop:
		go r.dispatch(u)
	case sleeping:
		r.finish(u)
	}
}

// finish releases a user that will run no more.
func (r *Runner) finish(u *running) {
	_ = u.user.Client.Close()
	close(u.done)
}

// dispatch hands a due user to an idle worker, or to a new one when every
// worker is busy. Workers that finished a task may not have run since on a
// busy core; they get the processor a few times before a worker is added.
func (r *Runner) dispatch(u *running) {
	for i := 0; ; i++ {
		r.sched.Lock()
		if n := len(r.idle); n > 0 {
			w := r.idle[n-1]
			r.idle[n-1] = nil
			r.idle = r.idle[:n-1]
			r.sched.Unlock()
			w.next <- u
			return
		}
		r.sched.Unlock()
		if i == handBackYields {
			break
		}
		runtime.Gosched()
	}
	r.workers.Add(1)
	go r.work(&worker{next: make(chan *running, 1)}, u)
}

// work is a worker's life: it runs the user it was given until that user
// sleeps or ends, then waits, idle, for the next due user.
func (r *Runner) work(w *worker, u *running) {
	for {
		r.run(u)
		r.sched.Lock()
		if r.quitting {
			r.sched.Unlock()
			return
		}
		w.idleSince = time.Since(r.epoch)
		r.idle = append(r.idle, w)
		r.sched.Unlock()
		if u = <-w.next; u == nil {
			return
		}
	}
}

// reapIdle ends the workers idle for longer than idleWorkerTimeout, and
// returns when the next one would be; the caller holds r.sched.
func (r *Runner) reapIdle(now time.Duration) (next time.Duration, any bool) {
	k := 0
	for k < len(r.idle) && now-r.idle[k].idleSince >= idleWorkerTimeout {
		close(r.idle[k].next)
		k++
	}
	if k > 0 {
		n := copy(r.idle, r.idle[k:])
		clear(r.idle[n:])
		r.idle = r.idle[:n]
	}
	if len(r.idle) == 0 {
		return 0, false
	}
	return r.idle[0].idleSince + idleWorkerTimeout - now, true
}

// run runs u's tasks back to back until it must wait, which puts it in
// the sleep queue, or until it is retired. The request in flight runs on
// under r.hard until a stop's grace period is over.
//
// A user's first run starts it: its class's InitUser and OnStart, on the
// worker, outside every lock. Its last runs the class's OnStop, unless
// the end of the run cut it off.
func (r *Runner) run(u *running) {
	cs := u.class
	next := -1
	if !u.started {
		u.started = true
		if !u.retired.Load() {
			next = u.picker.next()
			if err := callInit(cs.Class, u.user); err != nil && cs.rows[next] >= 0 {
				// Counted against the first task; the user goes on,
				// and its tasks fail or not as they will.
				u.rec.Failure(cs.rows[next], 0, 0, results.NormalizeError(err))
			}
			u.live = callStart(r.hard, cs.Class, u.user) == nil
			if !u.live {
				u.retired.Store(true) // a user that could not start runs no task
			}
		}
	}
	for !u.retired.Load() {
		i := next
		if i < 0 {
			i = u.picker.next()
		}
		next = -1
		start := time.Now()
		took, ok := r.runTask(u, i)
		if !ok {
			// Cut off by the end of the run: neither a success nor a
			// failure of the target, but counted, so that the run says so.
			u.live = false
			r.cut.add(took)
			break
		}
		d, werr := waitAfter(cs.Wait, u.user, took)
		if werr != nil && cs.rows[i] >= 0 {
			u.rec.Failure(cs.rows[i], 0, 0, results.NormalizeError(werr))
		}
		if d > 0 {
			if r.sleep(u, start.Add(took+d).Sub(r.epoch)) {
				return
			}
		}
	}
	if u.live && cs.OnStop != nil && r.hard.Err() == nil {
		u.live = false
		callStop(r.hard, cs.Class, u.user)
	}
	r.sched.Lock()
	u.state = userFinished
	r.sched.Unlock()
	r.finish(u)
}

// runTask runs task i of the user's class once and records it: its own
// requests, if it made them through the user, or else the run itself as
// one request of the task's row. ok is false when the end of the run cut
// it off, which is neither a success nor a failure of the target.
func (r *Runner) runTask(u *running, i int) (took time.Duration, ok bool) {
	cs, user := u.class, u.user
	task := &cs.Tasks[i]
	user.Seq++
	user.recorded = 0
	start := time.Now()
	n, err := callTask(r.hard, task, user)
	took = time.Since(start)
	if r.hard.Err() != nil {
		user.pend = pending{}
		return took, false
	}
	if user.recorded > 0 || cs.rows[i] < 0 {
		var interval time.Duration
		if user.recorded == 1 {
			interval = cs.ExpectedInterval
		}
		user.flushPaced(interval)
		return took, true
	}
	row := cs.rows[i]
	switch {
	case cs.ExpectedInterval > 0:
		o := results.Observation{Latency: took, Bytes: n, ExpectedInterval: cs.ExpectedInterval}
		if err != nil {
			o.Err = results.NormalizeError(err)
		}
		u.rec.Observe(row, o)
	case err != nil:
		u.rec.Failure(row, took, n, results.NormalizeError(err))
	default:
		u.rec.Success(row, took, n)
	}
	return took, true
}

// sleep puts u in the sleep queue until at, and false when u was retired
// meanwhile and must end instead.
func (r *Runner) sleep(u *running, at time.Duration) bool {
	r.sched.Lock()
	if u.retired.Load() {
		r.sched.Unlock()
		return false
	}
	u.wakeAt = at
	u.state = userSleeping
	heap.Push(&r.sleeping, u)
	first := u.index == 0
	r.sched.Unlock()
	if first {
		r.nudge()
	}
	return true
}

// waker hands sleeping users to workers as their wake times come, and
// lets long-idle workers go.
func (r *Runner) waker() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var due []*running
	for {
		now := time.Since(r.epoch)
		next := time.Duration(-1)
		r.sched.Lock()
		for len(r.sleeping) > 0 {
			u := r.sleeping[0]
			if u.wakeAt > now {
				next = u.wakeAt - now
				break
			}
			heap.Pop(&r.sleeping)
			u.state = userRunning
			due = append(due, u)
		}
		if reap, ok := r.reapIdle(now); ok && (next < 0 || reap < next) {
			next = reap
		}
		r.sched.Unlock()
		for i, u := range due {
			r.dispatch(u)
			due[i] = nil
		}
		due = due[:0]
		if next >= 0 {
			timer.Reset(next)
		} else {
			timer.Stop()
		}
		select {
		case <-timer.C:
		case <-r.wake:
		case <-r.quit:
			return
		}
	}
}

// sleepingUsers is the number of users in the sleep queue.
func (r *Runner) sleepingUsers() int {
	r.sched.Lock()
	defer r.sched.Unlock()
	return len(r.sleeping)
}

// sleepQueue orders sleeping users by wake time (container/heap).
type sleepQueue []*running

func (q sleepQueue) Len() int           { return len(q) }
func (q sleepQueue) Less(i, j int) bool { return q[i].wakeAt < q[j].wakeAt }
func (q sleepQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *sleepQueue) Push(x any) {
	u := x.(*running)
	u.index = len(*q)
	*q = append(*q, u)
}
func (q *sleepQueue) Pop() any {
	old := *q
	u := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	u.index = -1
	return u
}

// Drain moves what every user recorded since the last drain into d,
// retired users included.
func (r *Runner) Drain(d *results.Delta) {
	r.mu.Lock()
	groups := r.groups
	r.mu.Unlock()
	// Outside the lock: a drain that yields must not hold up a ramp.
	drainYielding(groups, d)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut.drain(d)
	// Retired users record into their group's recorder to the end; they
	// are kept only for Stop to wait for.
	kept := r.retired[:0]
	for _, u := range r.retired {
		select {
		case <-u.done:
		default:
			kept = append(kept, u)
		}
	}
	clear(r.retired[len(kept):])
	r.retired = kept
}

// Stop retires every user and waits up to grace for the tasks in flight to
// finish; requests still running then are cancelled, abandoned and not
// recorded, but counted (see results.AbandonedStats): Stop waits up to
// abandonWait more for their users to notice, so that the next Drain has
// the count. The runner cannot be restarted.
func (r *Runner) Stop(grace time.Duration) {
	r.mu.Lock()
	if !r.stopped {
		r.stopped = true
		for _, u := range r.active {
			r.retire(u)
			r.retired = append(r.retired, u)
		}
		r.active = nil
		r.count.Store(0)
	}
	waiting := append([]*running(nil), r.retired...)
	r.mu.Unlock()

	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	defer r.stopWorkers()
	for i, u := range waiting {
		select {
		case <-u.done:
		case <-deadline.C:
			r.hardCancel()
			deadline.Reset(abandonWait)
			for _, u := range waiting[i:] {
				select {
				case <-u.done:
				case <-deadline.C:
					return
				}
			}
			return
		}
	}
	r.hardCancel()
}

// stopWorkers ends the waker and the idle workers; busy ones end after
// their user's task, which the hard stop has cut short.
func (r *Runner) stopWorkers() {
	r.sched.Lock()
	defer r.sched.Unlock()
	if r.quitting {
		return
	}
	r.quitting = true
	close(r.quit)
	for _, w := range r.idle {
		close(w.next)
	}
	r.idle = nil
}

// Place sets where the users started from now on sit in the fleet's start
// order: worker index of workers (see Config.UserOffset). A coordinator
// that splits the users again, after a worker came or went, places each
// worker anew; users already running keep their classes.
func (r *Runner) Place(index, workers int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cfg.UserOffset, r.cfg.UserStride = index, max(workers, 1)
}
