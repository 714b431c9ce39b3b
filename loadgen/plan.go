package loadgen

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/threshold"
)

// Workload is what each user of a run does, as Go code: its weighted
// tasks, how a new user is prepared, its random source and its wait. A
// Spec's profile compiles into one (see Plan.Workload); a program with
// task code of its own gives one in Spec.Workload.
type Workload struct {
	// Name names the workload in reports, as a profile's name does.
	Name string
	// Tasks are the weighted actions of every user.
	Tasks []users.Task
	// Classes, when set, replace Tasks, InitUser, Wait and
	// ExpectedInterval with classes of users, spread over by weight as
	// Locust spreads users over its classes (see users.Config.Classes);
	// a profile compiles into classes (see ProfileClasses). They run in
	// the closed model only.
	Classes []users.Class
	// Rows, when set, are the statistics rows that Classes record into by
	// index (see ProfileClasses); nil makes new ones.
	Rows *results.Rows
	// InitUser prepares each new user (see users.Config.InitUser).
	InitUser func(u *users.User)
	// NewRand makes each user's random source (see users.Config.NewRand).
	NewRand func(id int) *rand.Rand
	// Wait is the pause after each task; nil means none.
	Wait users.Waiter
	// ExpectedInterval, when positive, is the time between the starts of a
	// user's tasks that Wait aims for (pacing or throughput waits): every
	// request is then also recorded into the coordinated-omission
	// corrected series (see users.Config.ExpectedInterval).
	ExpectedInterval time.Duration
}

// Plan is a Spec checked and compiled, ready to run: its profile parsed,
// with the ratio applied, and compiled; its thresholds parsed. Every
// engine builds its users from a Plan, in one process or on a worker, so
// that they are built one way.
type Plan struct {
	Spec *Spec
	// Profile is the parsed profile, ratio applied; nil for a Go
	// workload.
	Profile *profiles.Profile
	// Thresholds are the parsed thresholds, in the Spec's order.
	Thresholds []*threshold.Threshold
	// Notices say what the Spec left out of its profile: a class left
	// without a task by its tags.
	Notices  []string
	compiled *profiles.Compiled
	// clients makes each user's client, its options (the CA
	// certificates above all) read once.
	clients func() client.Client
}

// TaskWeight is one task of a run and its weight.
type TaskWeight struct {
	Method string `json:"method"`
	Name   string `json:"name"`
	Weight int    `json:"weight"`
}

// Plan checks the Spec (see Validate) and compiles it. Errors are
// SpecErrors, joined.
func (s *Spec) Plan() (*Plan, error) {
	errs := []error{s.CheckFields()}
	p := &Plan{Spec: s}
	if s.Workload == nil && s.Profile.Check() == nil {
		errs = append(errs, p.compile())
	} else if s.Workload != nil && len(s.Workload.Tasks) == 0 && len(s.Workload.Classes) == 0 {
		errs = append(errs, &SpecError{Setting: "workload", Err: users.ErrNoTasks})
	}
	var err error
	p.Thresholds, err = s.ParseThresholds()
	errs = append(errs, err)
	if p.clients, err = client.NewFactory(s.Client, s.ClientOptions()); err != nil && slices.Contains(client.Kinds(), s.Client) {
		// An unknown client is CheckFields' to report.
		errs = append(errs, &SpecError{Setting: "client", Err: err})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Plan) compile() error {
	s := p.Spec
	prof, err := s.Profile.Load()
	if err != nil {
		return &SpecError{Setting: "profile", Err: err}
	}
	if s.Ratio != "" {
		if err := profiles.ApplyRatio(prof, s.Ratio); err != nil {
			return &SpecError{Setting: "ratio", Err: err}
		}
	}
	if p.Notices, err = profiles.SelectTags(prof, s.Tags, s.ExcludeTags); err != nil {
		return &SpecError{Setting: "tags", Err: err}
	}
	if p.compiled, err = profiles.Compile(prof); err != nil {
		return &SpecError{Setting: "profile", Err: err}
	}
	if s.IsOpen() {
		if err := CheckProfile(p.compiled); err != nil {
			return &SpecError{Setting: "profile", Err: err}
		}
	}
	p.Profile = prof
	return nil
}

// Name names the run's workload: the profile's name.
func (p *Plan) Name() string {
	if w := p.Spec.Workload; w != nil {
		if w.Name == "" {
			return "workload"
		}
		return w.Name
	}
	return p.Profile.Name
}

// Tasks are the run's tasks and their weights, in order, named as their
// statistics entries are.
func (p *Plan) Tasks() []TaskWeight {
	var out []TaskWeight
	if w := p.Spec.Workload; w != nil {
		for _, t := range w.Tasks {
			out = append(out, TaskWeight{Method: t.Method, Name: t.Name, Weight: t.Weight})
		}
		return out
	}
	base := BasePath(p.Spec.Host)
	for _, t := range p.compiled.Tasks() {
		for _, step := range t.Steps {
			out = append(out, TaskWeight{Method: step.Method, Name: step.EntryName(base), Weight: t.Weight})
		}
	}
	return out
}

// ClassWeight is one user class of a run: its weight among the classes
// and its tasks' weights within it, as Locust's /tasks lists them.
type ClassWeight struct {
	Name   string
	Weight int
	// Tasks are named as the profile names them (a one-request task by
	// its request's name), with the method of their first request.
	Tasks []TaskWeight
}

// Classes are the run's user classes in order: a profile's (one for a
// top-level tasks list, named after the profile), a Go workload's, or
// one class holding a Go workload's tasks, named after the workload.
func (p *Plan) Classes() []ClassWeight {
	if w := p.Spec.Workload; w != nil {
		if len(w.Classes) == 0 {
			return []ClassWeight{{Name: p.Name(), Weight: 1, Tasks: p.Tasks()}}
		}
		out := make([]ClassWeight, 0, len(w.Classes))
		for _, c := range w.Classes {
			cw := ClassWeight{Name: c.Name, Weight: c.Weight}
			for _, t := range c.Tasks {
				cw.Tasks = append(cw.Tasks, TaskWeight{Method: t.Method, Name: t.Name, Weight: t.Weight})
			}
			out = append(out, cw)
		}
		return out
	}
	out := make([]ClassWeight, 0, len(p.compiled.Classes))
	for _, c := range p.compiled.Classes {
		cw := ClassWeight{Name: c.Name, Weight: c.Weight}
		for _, t := range c.Tasks {
			tw := TaskWeight{Name: t.Name, Weight: t.Weight}
			if len(t.Steps) > 0 {
				tw.Method = t.Steps[0].Method
			}
			cw.Tasks = append(cw.Tasks, tw)
		}
		out = append(out, cw)
	}
	return out
}

// Workload is what each user does, requesting host: the Spec's Go
// workload, or its profile's tasks with the Spec's wait and seed. In a
// paced run (the wait has an interval) every request is also recorded
// into the coordinated-omission corrected series.
func (p *Plan) Workload(host string) *Workload { return p.workload(host, 0, 1) }

// workload is Workload for worker index of workers, whose data rows it
// deals (see dataset.Dealer).
func (p *Plan) workload(host string, index, workers int) *Workload {
	s := p.Spec
	if s.Workload != nil {
		return s.Workload
	}
	w := &Workload{
		Name:    p.Profile.Name,
		NewRand: ProfileRand(s.Seed),
		Wait:    ProfileWait(s.Wait),
	}
	if d, ok := s.Wait.ExpectedInterval(); ok {
		// Pacing says when each task should have started, so the
		// requests a stalled user failed to send can be accounted for.
		w.ExpectedInterval = d
	}
	if s.IsOpen() {
		// The open model sends single requests: CheckProfile has refused
		// any journey.
		w.Tasks, w.InitUser = ProfileTasks(p.compiled, host), InitProfileUser
		return w
	}
	w.Rows = results.NewRows()
	w.Classes = ProfileClasses(p.compiled, host, w.Rows, index, workers)
	if s.Wait != p.Profile.Wait {
		// A wait given for the run (--wait) replaces every class's own.
		for i := range w.Classes {
			w.Classes[i].Wait, w.Classes[i].ExpectedInterval = w.Wait, w.ExpectedInterval
		}
	}
	return w
}

// UsersConfig is the closed model's users, requesting host and numbered
// from firstID+1, each with its own client of the Spec's kind, as worker
// index of workers (0 of 1 in one process).
func (p *Plan) UsersConfig(host string, firstID, index, workers int) users.Config {
	w := p.workload(host, index, workers)
	return users.Config{
		Tasks:            w.Tasks,
		Wait:             w.Wait,
		NewClient:        p.newClient,
		Seed:             p.Spec.Seed,
		InitUser:         w.InitUser,
		FirstID:          firstID,
		NewRand:          w.NewRand,
		ExpectedInterval: w.ExpectedInterval,
		Classes:          w.Classes,
		Rows:             w.Rows,
		UserOffset:       index,
		UserStride:       workers,
	}
}

// DispatcherConfig is the open model's dispatcher, sending the arrivals
// to host from slots numbered from firstID+1, each with its own client.
func (p *Plan) DispatcherConfig(host string, firstID int, arrivals schedule.Arrivals) users.DispatcherConfig {
	w := p.Workload(host)
	o := p.Spec.Open
	return users.DispatcherConfig{
		Tasks:       w.Tasks,
		Arrivals:    arrivals,
		NewClient:   p.newClient,
		Seed:        p.Spec.Seed,
		InitUser:    w.InitUser,
		FirstID:     firstID,
		NewRand:     w.NewRand,
		MaxInFlight: o.MaxInFlight,
		MaxLag:      o.MaxLag,
		LateAfter:   o.LateAfter,
		Prepare:     preparedSlots(o.Rate.Start),
		ConnectURL:  host,
	}
}

// preparedSlots is how many slots an open-model run makes and connects
// before its first arrival: one per request of the first millisecond at
// its starting rate (20 at 20,000/s), at most 100. A worker prepares for
// the fleet's rate, not its share, which it does not know yet: a few idle
// connections more.
func preparedSlots(rate float64) int {
	if !(rate > 0) {
		return 0
	}
	return int(min(math.Ceil(rate/1000), 100))
}

func (p *Plan) newClient() (client.Client, error) { return p.clients(), nil }

// ClassCounts is how many of n users each class of the run has, as the
// fleet's start order spreads them by weight: what Locust logs once its
// users have spawned.
func (p *Plan) ClassCounts(n int) map[string]int {
	var names []string
	var weights []int
	switch w := p.Spec.Workload; {
	case w != nil && len(w.Classes) > 0:
		for _, c := range w.Classes {
			names, weights = append(names, c.Name), append(weights, c.Weight)
		}
	case w != nil:
		names, weights = []string{p.Name()}, []int{1}
	default:
		for _, c := range p.compiled.Classes {
			names, weights = append(names, c.Name), append(weights, c.Weight)
		}
	}
	out := map[string]int{}
	mix, err := schedule.NewClasses(weights)
	if err != nil {
		// A run that started has classes the mix takes.
		out[p.Name()] = n
		return out
	}
	for i, c := range mix.Counts(n) {
		out[names[i]] += c
	}
	return out
}
