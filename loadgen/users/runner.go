package users

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results"
)

// Config describes the users a Runner runs.
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
	// typically by setting User.Data. It runs on the user's own goroutine,
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
}

// Runner starts, runs and retires users. Its methods are safe for concurrent
// use; the per-request path of each user touches nothing shared but its
// group's recorder.
//
// Users record into one recorder per group of recorderGroup users, by
// their position in the start order, so that the collection each second
// walks a few hundred recorders rather than every user, and an idle user
// carries no recording buffers of its own. A user's client is made and
// its InitUser runs on the user's own goroutine, so a slow InitUser (a
// login, say) holds up neither the ramp nor the statistics.
type Runner struct {
	cfg     Config
	keys    []results.EntryKey
	weights []int
	total   int // sum of weights

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
}

// recorderGroup is how many users share a recorder. Recording takes the
// recorder's mutex for about 20 ns, so even 32 users at full speed rarely
// meet there, while 10,000 users need only 313 recorders.
const recorderGroup = 32

type running struct {
	user *User
	rec  *results.Recorder // shared with the user's group
	// ctx ends the user between tasks.
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
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
	if cfg.Wait == nil {
		cfg.Wait = NoWait{}
	}
	keys, weights, err := taskKeys(cfg.Tasks)
	if err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, nextID: cfg.FirstID, keys: keys, weights: weights, total: sumInts(weights)}
	r.hard, r.hardCancel = context.WithCancel(context.Background())
	return r, nil
}

// Keys are the statistics rows of the runner's tasks, in task order.
func (r *Runner) Keys() []results.EntryKey { return r.keys }

// Users is the number of users running now.
func (r *Runner) Users() int { return int(r.count.Load()) }

// ErrStopped is returned by SetUsers once the runner is stopped.
var ErrStopped = errors.New("users: runner is stopped")

// SetUsers starts or retires users until n run. A retired user finishes the
// task it is running; the newest users retire first, as in Locust. Users
// start with their first task at once; their clients are made and
// InitUser runs on their own goroutines.
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
		last.cancel()
		r.retired = append(r.retired, last)
	}
	pos, firstID := len(r.active), r.nextID
	add := max(n-pos, 0)
	r.nextID += add
	for len(r.groups)*recorderGroup < pos+add {
		r.groups = append(r.groups, results.NewRecorder(r.keys))
	}
	groups := r.groups
	r.count.Store(int64(min(pos, n)))
	r.mu.Unlock()
	if add == 0 {
		return nil
	}

	// The new users are made without the lock, so that the collection
	// goes on meanwhile; setMu keeps other SetUsers calls out.
	made := make([]*running, 0, add)
	fail := func(err error) error {
		for _, u := range made {
			u.cancel()
			_ = u.user.Client.Close()
		}
		return err
	}
	for i := range add {
		cl, err := r.cfg.NewClient()
		if err != nil {
			return fail(fmt.Errorf("users: making a client: %w", err))
		}
		id := firstID + i + 1
		u := &running{
			user: &User{ID: id, Client: cl, Rand: r.cfg.NewRand(id)},
			rec:  groups[(pos+i)/recorderGroup],
			done: make(chan struct{}),
		}
		u.ctx, u.cancel = context.WithCancel(r.hard)
		made = append(made, u)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return fail(ErrStopped)
	}
	for _, u := range made {
		phase := int(u.user.Rand.Uint64() % uint64(r.total))
		go r.loop(u, newPicker(r.weights, phase))
	}
	r.active = append(r.active, made...)
	r.count.Store(int64(len(r.active)))
	return nil
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
		if err := r.SetUsers(ramp.UsersAt(time.Since(start))); err != nil {
			return err
		}
		next, ok := ramp.NextChange(time.Since(start))
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

// loop is one user's life. u.ctx ends it between tasks; the request in
// flight runs on under r.hard until a stop's grace period is over.
func (r *Runner) loop(u *running, p *picker) {
	defer close(u.done)
	defer u.user.Client.Close()
	soft := u.ctx
	if r.cfg.InitUser != nil {
		r.cfg.InitUser(u.user)
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for soft.Err() == nil {
		i := p.next()
		task := &r.cfg.Tasks[i]
		u.user.Seq++
		start := time.Now()
		n, err := task.Run(r.hard, u.user)
		took := time.Since(start)
		if r.hard.Err() != nil {
			// Cut off by the end of the run: neither a success nor a failure
			// of the target.
			return
		}
		switch {
		case r.cfg.ExpectedInterval > 0:
			o := results.Observation{Latency: took, Bytes: n, ExpectedInterval: r.cfg.ExpectedInterval}
			if err != nil {
				o.Err = results.NormalizeError(err)
			}
			u.rec.Observe(i, o)
		case err != nil:
			u.rec.Failure(i, took, n, results.NormalizeError(err))
		default:
			u.rec.Success(i, took, n)
		}
		if d := r.cfg.Wait.Next(u.user.Rand, took); d > 0 {
			timer.Reset(d)
			select {
			case <-soft.Done():
				return
			case <-timer.C:
			}
		}
	}
}

// Drain moves what every user recorded since the last drain into d,
// retired users included.
func (r *Runner) Drain(d *results.Delta) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.groups {
		g.Drain(d)
	}
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
// finish; requests still running then are abandoned and not recorded. The
// runner cannot be restarted.
func (r *Runner) Stop(grace time.Duration) {
	r.mu.Lock()
	if !r.stopped {
		r.stopped = true
		for _, u := range r.active {
			u.cancel()
			r.retired = append(r.retired, u)
		}
		r.active = nil
		r.count.Store(0)
	}
	waiting := append([]*running(nil), r.retired...)
	r.mu.Unlock()

	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for _, u := range waiting {
		select {
		case <-u.done:
		case <-deadline.C:
			r.hardCancel()
			return
		}
	}
	r.hardCancel()
}
