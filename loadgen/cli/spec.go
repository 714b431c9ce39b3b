package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/profiles"
)

// Overrides are what a start request (the web UI's) sets for one run,
// over every other source. A nil field leaves the setting to the others.
type Overrides struct {
	// Profile replaces --profile's profile; --ratio, which names that
	// profile's tasks, is then dropped, and the settings the old profile
	// gave come from the new one.
	Profile *profiles.Source
	Users   *int
	// SpawnRate is the closed model's users per second.
	SpawnRate *float64
	Host      *string
	// RunTime of zero runs until stopped.
	RunTime *time.Duration
	// Rate makes the run an open-model one at this many requests per
	// second, or a closed-model one when zero.
	Rate *float64
}

// Spec builds the test the settings describe. Each setting comes from the
// highest source that has it: the flag's default, then the profile, then
// the environment and the command line (Settings), then o. The result is
// validated once (loadgen.Spec.Validate), and every mistake is a
// UsageError that names where it was made: the flag, the environment
// variable, the profile's file, line and field, or the request's field.
// version is loadgen's, for the User-Agent.
func (c *Command) Spec(s *Settings, version string, o Overrides) (*loadgen.Spec, error) {
	if c.Run.SpecFile != "" {
		return c.specFile(s)
	}
	b := &builder{set: s, f: &c.Run, o: o, origins: map[string]Origin{}}
	c.origins = b.origins
	spec, err := b.build(version)
	if err != nil {
		return nil, UsageError{err}
	}
	if err := spec.Validate(); err != nil {
		return nil, UsageError{b.locate(err)}
	}
	return spec, nil
}

// SpecOrigin is where a setting of the last Spec built came from.
func (c *Command) SpecOrigin(flag string) Origin {
	if o, ok := c.origins[flag]; ok {
		return o
	}
	return Origin{Kind: FromDefault, Name: "--" + flag}
}

// specFlags are the flags that describe a test, which --spec replaces.
var specFlags = []string{"host", "users", "spawn-rate", "run-time", "profile", "ratio", "client", "wait", "timeout",
	"stop-timeout", "seed", "store", "warmup", "rate", "rate-stages", "arrival", "max-inflight", "max-lag",
	"threshold", "abort-on-threshold", "stages", "tags", "exclude-tags", "insecure", "ca-cert", "reset-stats"}

// specFile reads --spec. The environment and config files give way to
// it: a run handed a Spec (by compare and scale) inherits both.
func (c *Command) specFile(s *Settings) (*loadgen.Spec, error) {
	for _, flag := range specFlags {
		if s.Origin(flag).Kind == FromCommandLine {
			return nil, Usagef("--%s cannot be given with --spec, which describes the whole test", flag)
		}
	}
	data, err := os.ReadFile(c.Run.SpecFile)
	if err != nil {
		return nil, Usagef("--spec: %w", err)
	}
	var spec loadgen.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, Usagef("--spec %s: %w", c.Run.SpecFile, err)
	}
	if s.Given("csv-full-history") {
		spec.EntryHistory = c.Run.CSVFullHistory
	}
	if err := spec.Validate(); err != nil {
		return nil, Usagef("--spec %s: %w", c.Run.SpecFile, err)
	}
	return &spec, nil
}

// builder resolves one Spec, remembering where each setting came from.
type builder struct {
	set     *Settings
	f       *RunFlags
	o       Overrides
	prof    *profiles.Profile
	origins map[string]Origin
}

// from says where a setting comes from, and notes it: the request, the
// command line or the environment, the profile when it has the setting's
// key, or the flag's default.
func (b *builder) from(flag string, request bool) Origin {
	o := b.pick(flag, request)
	b.origins[flag] = o
	return o
}

func (b *builder) pick(flag string, request bool) Origin {
	key := strings.ReplaceAll(flag, "-", "_")
	switch {
	case request:
		return Origin{Kind: FromRequest, Name: key}
	case b.set.Given(flag):
		return b.set.Origin(flag)
	case b.prof != nil && b.prof.Settings.Has(key):
		return Origin{Kind: FromProfile, Name: key, File: b.prof.Source, Line: b.prof.Settings.Lines[key]}
	}
	return Origin{Kind: FromDefault, Name: "--" + flag}
}

// fromProfile reports whether a setting's value is the profile's.
func (b *builder) fromProfile(flag string, request bool) bool {
	return b.from(flag, request).Kind == FromProfile
}

func (b *builder) build(version string) (*loadgen.Spec, error) {
	src, err := b.loadProfile()
	if err != nil {
		return nil, err
	}
	f := b.f
	spec := &loadgen.Spec{
		Profile: *src, Store: f.Store, UserAgent: "loadgen/" + version, EntryHistory: f.CSVFullHistory,
		Client: f.Client, Timeout: f.Timeout, StopTimeout: f.StopTimeout, Seed: f.Seed,
		Warmup: f.Warmup, AbortOnThreshold: f.AbortOnThreshold, ResetStats: f.ResetStats,
	}
	if b.o.Profile == nil {
		spec.Ratio = f.Ratio
	}
	for _, step := range []func(*loadgen.Spec) error{b.target, b.settings, b.tls, b.stages, b.model} {
		if err := step(spec); err != nil {
			return nil, err
		}
	}
	spec.Tags, spec.ExcludeTags = profiles.ParseTags(strings.Join(f.Tags, ",")), profiles.ParseTags(strings.Join(f.ExcludeTags, ","))
	if err := b.runTime(spec); err != nil {
		return nil, err
	}
	for i, th := range b.prof.Thresholds {
		spec.Thresholds = append(spec.Thresholds, loadgen.Threshold{Expr: th.Expr, Where: fmt.Sprintf("%s:%d: thresholds[%d]", b.prof.Source, th.Line, i)})
	}
	for _, th := range f.Thresholds {
		spec.Thresholds = append(spec.Thresholds, loadgen.Threshold{Expr: th, Where: "--threshold"})
	}
	return spec, nil
}

// loadProfile reads and loads the profile: the request's, or --profile's.
func (b *builder) loadProfile() (*profiles.Source, error) {
	src := b.o.Profile
	if p := b.f.Profile; src == nil && strings.HasSuffix(strings.ToLower(p), ".py") {
		return nil, fmt.Errorf("%s %s: a Locust locustfile is Python, which loadgen does not run; port its tasks to a YAML profile and give that (docs/locust.md shows how, task by task)",
			b.set.Origin("profile"), p)
	}
	if src == nil {
		read, err := profiles.ReadSource(b.f.Profile)
		if err != nil {
			return nil, fmt.Errorf("--profile: %w", err)
		}
		src = &read
	}
	prof, err := src.Load()
	if err != nil {
		return nil, fmt.Errorf("--profile: %w", err)
	}
	b.prof = prof
	return src, nil
}

// target resolves the host and the wait between tasks.
func (b *builder) target(spec *loadgen.Spec) error {
	spec.Host = b.f.Host
	if b.o.Host != nil {
		b.from("host", true)
		spec.Host = *b.o.Host
	} else if b.fromProfile("host", false) {
		spec.Host = b.prof.Host
	}
	if !b.set.Given("wait") {
		spec.Wait = b.prof.Wait
		return nil
	}
	var err error
	if spec.Wait, err = profiles.ParseWait(b.f.Wait); err != nil {
		return fmt.Errorf("--wait: %w", err)
	}
	return nil
}

// settings takes the profile's value of each setting it has and the
// command line left alone.
func (b *builder) settings(spec *loadgen.Spec) error {
	p := &b.prof.Settings
	if b.fromProfile("client", false) {
		spec.Client = p.Client
	}
	if b.fromProfile("timeout", false) {
		spec.Timeout = p.Timeout
	}
	if b.fromProfile("stop-timeout", false) {
		spec.StopTimeout = p.StopTimeout
	}
	if b.fromProfile("seed", false) {
		spec.Seed = p.Seed
	}
	if b.fromProfile("warmup", false) {
		spec.Warmup = p.Warmup
	}
	if b.fromProfile("abort-on-threshold", false) {
		spec.AbortOnThreshold = p.AbortOnThreshold
	}
	return nil
}

// tls resolves certificate checking: --insecure or the profile's
// tls_verify, and --ca-cert's certificates.
func (b *builder) tls(spec *loadgen.Spec) error {
	f, p := b.f, &b.prof.Settings
	spec.Insecure = f.Insecure
	if !b.set.Given("insecure") && p.Has("tls_verify") {
		spec.Insecure = p.Insecure
	}
	if f.CACert == "" {
		return nil
	}
	var err error
	if spec.CACert, err = loadgen.ReadCACert(f.CACert); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s %s: %w", b.set.Origin("ca-cert"), f.CACert, err)
	}
	return nil
}

// model resolves closed-model users or an open-model rate.
func (b *builder) model(spec *loadgen.Spec) error {
	open, err := b.openModel()
	if err != nil {
		return err
	}
	if open != nil {
		for _, flag := range []string{"users", "spawn-rate"} {
			if b.set.Given(flag) {
				return errors.New("--users and --spawn-rate describe closed-model users; an open-model run (--rate) has none: --max-inflight caps its concurrency")
			}
		}
		spec.Open = open
		return nil
	}
	f, p := b.f, b.prof
	if len(spec.Stages) > 0 {
		for _, flag := range []string{"users", "spawn-rate"} {
			if o := b.from(flag, false); o.Kind != FromDefault {
				return b.at(flag, o, "", errors.New("stages set the users over time; give either stages or users and a spawn rate"))
			}
		}
		return nil
	}
	spec.Users, spec.SpawnRate = f.Users, f.SpawnRate
	switch {
	case b.o.Users != nil:
		b.from("users", true)
		spec.Users = *b.o.Users
	case b.fromProfile("users", false):
		spec.Users = p.Users
	}
	switch {
	case b.o.SpawnRate != nil:
		b.from("spawn-rate", true)
		spec.SpawnRate = *b.o.SpawnRate
	case b.fromProfile("spawn-rate", false):
		spec.SpawnRate = p.SpawnRate
	}
	return nil
}

// stages resolves the users' stages: --stages, or the profile's.
func (b *builder) stages(spec *loadgen.Spec) error {
	switch o := b.from("stages", false); o.Kind {
	case FromProfile:
		spec.Stages = b.prof.Stages
	case FromDefault:
	default:
		st, err := profiles.ParseStages(b.f.Stages)
		if err != nil {
			return b.at("stages", o, "", err)
		}
		spec.Stages = st
	}
	return nil
}

// openModel resolves the open-model settings; nil for a run with users.
func (b *builder) openModel() (*loadgen.OpenModel, error) {
	f, p := b.f, &b.prof.Settings
	rate, stages := f.Rate, f.RateStages
	rateFrom, stagesFrom := b.from("rate", b.o.Rate != nil), b.from("rate-stages", false)
	switch {
	case b.o.Rate != nil:
		rate, stages = *b.o.Rate, ""
		stagesFrom = Origin{Kind: FromDefault}
	case rateFrom.Kind == FromProfile:
		rate = p.Rate
	}
	if stagesFrom.Kind == FromProfile {
		stages = p.RateStages
	}
	open := rateFrom.Kind != FromDefault || stagesFrom.Kind != FromDefault
	if b.o.Rate != nil && *b.o.Rate == 0 {
		open = false
	}
	if !open {
		for _, flag := range []string{"arrival", "max-inflight", "max-lag"} {
			if o := b.from(flag, false); o.Kind != FromDefault {
				return nil, b.notOpen(flag, o)
			}
		}
		return nil, nil
	}
	m := &loadgen.OpenModel{Rate: schedule.Constant(rate), MaxInFlight: f.MaxInflight, MaxLag: f.MaxLag}
	if stages != "" {
		st, err := schedule.ParseStages(stages)
		if err != nil {
			return nil, b.at("rate-stages", stagesFrom, "", err)
		}
		m.Rate = schedule.Rate{Start: rate, Stages: st}
	}
	arrival := f.Arrival
	if o := b.from("arrival", false); o.Kind == FromProfile {
		arrival = p.Arrival
	}
	var err error
	if m.Arrival, err = schedule.ParseArrival(arrival); err != nil {
		return nil, b.at("arrival", b.origins["arrival"], "", err)
	}
	if b.fromProfile("max-inflight", false) {
		m.MaxInFlight = p.MaxInFlight
	}
	if b.fromProfile("max-lag", false) {
		m.MaxLag = p.MaxLag
	}
	return m, nil
}

func (b *builder) notOpen(flag string, o Origin) error {
	if o.Kind == FromProfile {
		return &profiles.Error{File: o.File, Line: o.Line, Field: o.Name, Err: errors.New("applies to open-model runs only: add rate or rate_stages")}
	}
	return fmt.Errorf("--%s applies to open-model runs only: add --rate or --rate-stages", flag)
}

// runTime resolves the run time: an open-model run's stages say how long
// it is unless a run time was given.
func (b *builder) runTime(spec *loadgen.Spec) error {
	if b.o.RunTime != nil {
		b.from("run-time", true)
		spec.RunTime = *b.o.RunTime
		return nil
	}
	o := b.from("run-time", false)
	switch {
	case o.Kind == FromProfile:
		spec.RunTime = b.prof.RunTime
	case o.Kind == FromDefault && spec.Open != nil && spec.Open.Rate.Bounded():
		spec.RunTime = spec.Open.Rate.Duration()
	case o.Kind == FromDefault && len(spec.Stages) > 0:
		spec.RunTime = profiles.StagesDuration(spec.Stages)
	default:
		d, err := profiles.ParseRunTime(b.f.RunTime)
		if err != nil {
			return fmt.Errorf("--run-time: %w", err)
		}
		spec.RunTime = d
	}
	return nil
}

// at says what is wrong with a setting, where it was set.
func (b *builder) at(flag string, o Origin, value string, err error) error {
	if value != "" {
		err = fmt.Errorf("%s: %w", value, err)
	}
	switch o.Kind {
	case FromProfile:
		return &profiles.Error{File: o.File, Line: o.Line, Field: o.Name, Err: err}
	case FromRequest:
		return fmt.Errorf("%s: %w", o.Name, err)
	case FromEnvironment, FromConfigFile:
		return fmt.Errorf("--%s: %w (from %s)", flag, err, o)
	}
	return fmt.Errorf("--%s: %w", flag, err)
}

// locate rewrites the Spec's validation errors to name where each bad
// setting was made.
func (b *builder) locate(err error) error {
	list := loadgen.SpecErrors(err)
	out := make([]error, 0, len(list))
	for _, e := range list {
		var se *loadgen.SpecError
		if !errors.As(e, &se) || se.Where != "" || strings.HasPrefix(se.Err.Error(), "--") {
			out = append(out, e)
			continue
		}
		o, ok := b.origins[se.Setting]
		if !ok || o.Kind == FromDefault || o.Kind == FromCommandLine {
			out = append(out, errors.New("--"+se.Error()))
			continue
		}
		out = append(out, b.at(se.Setting, o, se.Value, se.Err))
	}
	return errors.Join(out...)
}
