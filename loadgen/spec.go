package loadgen

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results/threshold"
)

// Spec is everything a load test is: its target, its workload, who sends
// the load and how fast (closed-model users and their spawn rate, or an
// open model's arrival rate), how long it runs and what is not counted,
// its client, its seed and its pass/fail rules. Every front end describes
// its runs with a Spec (the command line builds one from its flags, the
// environment and the profile; the web UI from a start request), and
// every engine runs one: in this process, or on workers, which get it
// over the wire and build their users from it with the same code.
//
// A Spec is plain data: its JSON form is the one the coordinator sends
// its workers (see ForWorker), and it can be saved and run again.
type Spec struct {
	// Host is the target's base URL. Empty means the album service
	// embedded in loadgen, started for the run with Store; a Go Workload
	// knows its own target.
	Host string
	// Store is the embedded album service's store (albumsvc.StoreKind);
	// empty is the default store. It is unused with a Host.
	Store string
	// Profile is the workload: a built-in profile or a profile file's
	// text. Ratio, when set, replaces its task weights in order
	// (--ratio).
	Profile profiles.Source
	Ratio   string
	// Wait is the pause after each task, resolved: the profile's, unless
	// something overrode it. The zero Wait waits not at all.
	Wait profiles.Wait
	// Users and SpawnRate are the closed model's users and how many start
	// per second (zero: all at once).
	Users     int
	SpawnRate float64
	// Stages, when set, move a closed-model run's users over time instead
	// of Users and SpawnRate, as Locust's LoadTestShape does: each ramps
	// linearly from the users before it to its own over its duration (see
	// profiles.ParseStages). The run lasts as long as the stages, unless
	// RunTime ends it sooner.
	Stages []profiles.Stage
	// Tags and ExcludeTags select the profile's tasks, as Locust's --tags
	// and --exclude-tags do (see profiles.SelectTags).
	Tags        []string
	ExcludeTags []string
	// Open, when set, makes the run an open-model one: requests at a
	// rate, whatever the target's speed, and no users.
	Open *OpenModel
	// RunTime ends the run; zero runs until it is stopped (or, in the
	// open model, until the rate's stages end). Warmup is the first part
	// of it that is not counted. StopTimeout is how long requests in
	// flight at the end may take to finish.
	RunTime     time.Duration
	Warmup      time.Duration
	StopTimeout time.Duration
	// Client is the HTTP client kind (client.Kinds; Start takes empty as
	// fasthttp), Timeout each request's (Start takes zero as
	// DefaultTimeout), UserAgent the User-Agent header (empty: the
	// client's).
	Client    string
	Timeout   time.Duration
	UserAgent string
	// Insecure accepts any TLS certificate, for test targets with
	// self-signed ones (--insecure, tls_verify: false in a profile).
	Insecure bool
	// CACert, when set, holds the certificates an HTTPS target's is
	// checked against instead of the system's roots (--ca-cert FILE).
	CACert *CACert
	// Seed makes task choice, waits and generated data reproducible;
	// zero means one is picked from the clock when the run starts.
	Seed uint64
	// Thresholds are the pass/fail rules, checked at the end, and every
	// second with AbortOnThreshold, which stops the run at the first
	// breach.
	Thresholds       []Threshold
	AbortOnThreshold bool
	// EntryHistory keeps a history row per entry each second, not only
	// the Aggregated one (Locust's --csv-full-history).
	EntryHistory bool
	// ResetStats restarts the statistics once every user has spawned,
	// as Locust's --reset-stats does, so that they leave out the ramp.
	ResetStats bool

	// Workload, when set, is Go code that runs instead of the profile. It
	// is not part of the JSON form: a program that runs its own task code
	// on workers gives each worker the same code (see
	// control.WorkerConfig).
	Workload *Workload
}

// OpenModel is an open-model run's schedule: requests sent at the times
// the rate gives, whatever the target's speed, each one's latency counted
// from its intended time, so that a slow target cannot hide its slowness
// by slowing the load down (coordinated omission).
type OpenModel struct {
	// Rate is the total arrival rate, over the whole fleet in a
	// distributed run.
	Rate schedule.Rate
	// Arrival spreads the requests evenly or as a Poisson process.
	Arrival schedule.Arrival
	// MaxInFlight caps the requests in flight (each process's, in a
	// distributed run); zero means users.DefaultMaxInFlight.
	MaxInFlight int
	// MaxLag is how late a request may be sent before it is dropped;
	// zero means users.DefaultMaxLag and a negative value never drops.
	MaxLag time.Duration
	// LateAfter is how late a request may be sent without counting as
	// late; zero means users.DefaultLateAfter.
	LateAfter time.Duration
}

// Threshold is one pass/fail rule as written, with where it was written,
// so that a bad one is reported there.
type Threshold struct {
	// Expr is the expression, such as p99<250ms (see results/threshold).
	Expr string `json:"expr"`
	// Where names its place for messages: "--threshold", or a profile's
	// "file:line: thresholds[i]".
	Where string `json:"where,omitempty"`
}

// CACert is a PEM file of CA certificates for HTTPS targets: its name, for
// messages, and its contents, which travel with the Spec to workers, so
// that their machines need not have the file.
type CACert struct {
	File string `json:"file"`
	PEM  string `json:"pem"`
}

// ReadCACert reads a PEM file of CA certificates, checking that it holds
// at least one.
func ReadCACert(file string) (*CACert, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if _, err := client.CertPool(b); err != nil {
		return nil, err
	}
	return &CACert{File: file, PEM: string(b)}, nil
}

// DefaultTimeout is a request's timeout when a Spec given to Start has
// none.
const DefaultTimeout = time.Minute

// MaxInFlightLimit bounds OpenModel.MaxInFlight, as MaxUsers (limits.go)
// bounds Users, so that a hostile peer cannot make a worker plan for more
// than any machine has.
const MaxInFlightLimit = 10_000_000

// SpecError is a setting of a Spec that is not valid. Setting is named as
// its command-line flag is, without the dashes ("users", "run-time"), so
// that whoever built the Spec can say where the value came from.
type SpecError struct {
	Setting string
	// Value is the setting's value as text, when the message shows it.
	Value string
	// Where, when set, says where the value was written (a profile's
	// file, line and field), so that nobody need say it again.
	Where string
	Err   error
}

// Error reads "users -1: must be zero or more", or the underlying error
// alone when it already names the setting.
func (e *SpecError) Error() string {
	msg := e.Err.Error()
	if e.Where != "" {
		return e.Where + ": " + msg
	}
	if strings.HasPrefix(msg, "--"+e.Setting) {
		return msg
	}
	if e.Value != "" {
		return e.Setting + " " + e.Value + ": " + msg
	}
	return e.Setting + ": " + msg
}

// Unwrap gives the underlying error.
func (e *SpecError) Unwrap() error { return e.Err }

func specErr(setting, value, format string, args ...any) *SpecError {
	return &SpecError{Setting: setting, Value: value, Err: fmt.Errorf(format, args...)}
}

// SeedOr is seed, or, when it is zero, a seed picked from the clock: the
// one way a run without a seed gets one.
func SeedOr(seed uint64) uint64 {
	if seed != 0 {
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// IsOpen reports whether the run follows an arrival rate rather than
// users.
func (s *Spec) IsOpen() bool { return s.Open != nil }

// Embedded reports whether the run tests the album service embedded in
// loadgen rather than a host.
func (s *Spec) Embedded() bool { return s.Host == "" }

// RedactedHost is Host as it may be printed, logged or saved: without the
// password (or token) its user information may carry, which the clients
// send as basic authentication.
func (s *Spec) RedactedHost() string { return netaddr.RedactURL(s.Host) }

// ClientOptions are the options of each user's HTTP client.
func (s *Spec) ClientOptions() client.Options {
	o := client.Options{Timeout: s.Timeout, UserAgent: s.UserAgent, InsecureSkipVerify: s.Insecure}
	if s.CACert != nil {
		o.CACertPEM = []byte(s.CACert.PEM)
	}
	return o
}

// CheckFields checks each setting on its own, without reading the
// profile: what a worker can refuse before it tries to run a spec. Errors
// are SpecErrors.
func (s *Spec) CheckFields() error {
	var errs []error
	add := func(e *SpecError) { errs = append(errs, e) }
	if s.Host != "" {
		if err := netaddr.CheckBaseURL(s.Host); err != nil {
			add(&SpecError{Setting: "host", Value: fmt.Sprintf("%q", s.RedactedHost()), Err: err})
		}
	} else if _, err := albumsvc.ParseStoreKind(s.storeOrDefault()); err != nil && s.Workload == nil {
		add(&SpecError{Setting: "store", Err: err})
	}
	if s.Workload == nil {
		if err := s.Profile.Check(); err != nil {
			add(&SpecError{Setting: "profile", Err: err})
		}
	}
	if s.Users < 0 || s.Users > MaxUsers {
		add(specErr("users", fmt.Sprint(s.Users), "must be zero or more, and at most %d", MaxUsers))
	}
	if !(s.SpawnRate >= 0) || s.SpawnRate > MaxSpawnRate {
		add(specErr("spawn-rate", fmt.Sprint(s.SpawnRate), "must be zero (all at once) or more, and at most %g", float64(MaxSpawnRate)))
	}
	if s.Open != nil {
		errs = append(errs, s.Open.check(s)...)
	}
	if len(s.Stages) > 0 && (s.Users != 0 || s.SpawnRate != 0 || s.Open != nil) {
		add(specErr("stages", profiles.FormatStages(s.Stages), "stages set the users over time: give neither users, nor a spawn rate, nor a rate with them"))
	}
	for _, st := range s.Stages {
		if st.Users < 0 || st.Users > MaxUsers || st.Duration < 0 {
			add(specErr("stages", profiles.FormatStages(s.Stages), "a stage has users out of 0 to %d or a negative duration", MaxUsers))
			break
		}
	}
	if s.RunTime < 0 {
		add(specErr("run-time", s.RunTime.String(), "must not be negative"))
	}
	if s.Warmup < 0 || (s.RunTime > 0 && s.Warmup >= s.RunTime) {
		add(specErr("warmup", s.Warmup.String(), "the warm-up must be at least 0 and shorter than the run time %v", s.RunTime))
	}
	if s.StopTimeout < 0 {
		add(specErr("stop-timeout", s.StopTimeout.String(), "must not be negative"))
	}
	if s.Timeout <= 0 {
		add(specErr("timeout", s.Timeout.String(), "must be positive"))
	}
	if !slices.Contains(client.Kinds(), s.Client) {
		add(specErr("client", fmt.Sprintf("%q", s.Client), "want one of %s", strings.Join(client.Kinds(), ", ")))
	}
	if len(s.UserAgent) > 1024 || strings.ContainsAny(s.UserAgent, "\r\n\x00") {
		add(specErr("user-agent", "", "must be one line of at most 1024 bytes"))
	}
	if c := s.CACert; c != nil {
		if _, err := client.CertPool([]byte(c.PEM)); err != nil {
			add(&SpecError{Setting: "ca-cert", Value: c.File, Err: err})
		}
	}
	return errors.Join(errs...)
}

func (o *OpenModel) check(s *Spec) []error {
	var errs []error
	if s.Users != 0 || s.SpawnRate != 0 {
		errs = append(errs, specErr("users", "", "users and a spawn rate describe closed-model users; an open-model run (a rate) has none: its in-flight cap bounds its concurrency"))
	}
	return append(errs, SpecErrors(o.Check())...)
}

// Check checks the open model's settings on their own. Errors are
// SpecErrors, joined.
func (o *OpenModel) Check() error {
	var errs []error
	if o.Rate.Start < 0 || (!o.Rate.Bounded() && o.Rate.Start == 0) {
		errs = append(errs, specErr("rate", fmt.Sprint(o.Rate.Start), "must be positive"))
	} else if err := o.Rate.Validate(); err != nil {
		errs = append(errs, &SpecError{Setting: "rate", Err: err})
	}
	if o.Arrival != schedule.ArrivalConstant && o.Arrival != schedule.ArrivalPoisson {
		errs = append(errs, specErr("arrival", "", "unknown arrival kind %d", int(o.Arrival)))
	}
	if o.MaxInFlight < 0 || o.MaxInFlight > MaxInFlightLimit {
		errs = append(errs, specErr("max-inflight", fmt.Sprint(o.MaxInFlight), "must be positive (0 for the default), and at most %d", MaxInFlightLimit))
	}
	if o.LateAfter < 0 {
		errs = append(errs, specErr("late-after", o.LateAfter.String(), "must not be negative"))
	}
	return errors.Join(errs...)
}

func (s *Spec) storeOrDefault() string {
	if s.Store == "" {
		return string(albumsvc.StoreMutex)
	}
	return s.Store
}

// Validate checks the whole Spec: each setting, and its profile parsed,
// with the ratio applied and compiled, and its thresholds parsed. Errors
// are SpecErrors, joined.
func (s *Spec) Validate() error {
	_, err := s.Plan()
	return err
}

// ForWorker is the Spec as a worker of a distributed run gets it: what
// its users run, without what the coordinator keeps to itself (users,
// spawn rate, run time, warm-up, thresholds, the embedded store), so that
// the wire form of every setting a worker does not need is left out. The
// open model's rate is cut at the run time: a worker ends its schedule by
// itself.
func (s Spec) ForWorker() Spec {
	w := Spec{
		Host: s.Host, Profile: s.Profile, Ratio: s.Ratio, Wait: s.Wait,
		StopTimeout: s.StopTimeout, Client: s.Client, Timeout: s.Timeout,
		UserAgent: s.UserAgent, Seed: s.Seed, Workload: s.Workload,
		Tags: s.Tags, ExcludeTags: s.ExcludeTags, Insecure: s.Insecure, CACert: s.CACert,
	}
	if s.Open != nil {
		o := *s.Open
		o.Rate = o.Rate.Until(s.RunTime)
		w.Open = &o
	}
	return w
}

// ParseThresholds parses the Spec's thresholds. A bad one is a SpecError that
// names where it was written.
func (s *Spec) ParseThresholds() ([]*threshold.Threshold, error) {
	var out []*threshold.Threshold
	var errs []error
	for _, th := range s.Thresholds {
		t, err := threshold.Parse(th.Expr)
		if err != nil {
			where := th.Where
			if where == "" {
				where = "--threshold"
			}
			errs = append(errs, &SpecError{Setting: "threshold", Where: where, Err: err})
			continue
		}
		out = append(out, t)
	}
	return out, errors.Join(errs...)
}

// SpecErrors lists the errors Validate or CheckFields joined, one per bad
// setting, in order, so that a caller can say where each was made.
func SpecErrors(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, SpecErrors(e)...)
	}
	return out
}
