package profiles

import (
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Settings are the run settings a profile may give besides its host,
// users, spawn rate, run time and wait: everything a command-line flag
// can say about a test, so that a profile file describes a whole run. A
// setting the profile leaves out is zero, and absent from Lines.
//
// Values that other packages define (the rate stages, the arrival kind,
// the client) are kept as written and checked where the run is built,
// which names this file and the line in Lines.
type Settings struct {
	// Rate is the open model's arrival rate in requests per second
	// (rate:), RateStages its changing rate in the --rate-stages syntax
	// (rate_stages:), Arrival constant or poisson (arrival:).
	Rate       float64
	RateStages string
	Arrival    string
	// MaxInFlight caps an open-model run's requests in flight
	// (max_inflight:); MaxLag is how late one may be sent before it is
	// dropped (max_lag:, negative never drops).
	MaxInFlight int
	MaxLag      time.Duration
	// Warmup is the first part of the run that is not counted (warmup:).
	Warmup time.Duration
	// Client is the HTTP client (client:), Timeout each request's
	// (timeout:), StopTimeout the grace for requests in flight at the end
	// (stop_timeout:).
	Client      string
	Timeout     time.Duration
	StopTimeout time.Duration
	// Seed makes the run reproducible (seed:).
	Seed uint64
	// Insecure accepts any TLS certificate (tls_verify: false), as
	// Locust's verify=False does: for test servers with self-signed
	// certificates.
	Insecure bool
	// AbortOnThreshold stops the run at the first breached threshold
	// (abort_on_threshold:).
	AbortOnThreshold bool
	// Lines is where each top-level key of the profile is, by key
	// (run_time, rate_stages, ...), for errors found after parsing.
	Lines map[string]int
}

// Has reports whether the profile sets key (a top-level key such as
// "users" or "rate_stages").
func (s *Settings) Has(key string) bool {
	_, ok := s.Lines[key]
	return ok
}

// settingFields are the top-level keys of Settings.
var settingFields = []string{"rate", "rate_stages", "arrival", "max_inflight", "max_lag", "warmup",
	"client", "timeout", "stop_timeout", "seed", "abort_on_threshold", "tls_verify"}

// settings decodes the top-level keys of Settings and notes the line of
// every top-level key.
func (d *decoder) settings(f map[string]entry) Settings {
	s := Settings{Lines: make(map[string]int, len(f))}
	for k, e := range f {
		if !isNull(e.val) {
			s.Lines[k] = e.key.Line
		}
	}
	if e, ok := f["rate"]; ok {
		if v, ok := d.number(e, "rate"); ok {
			if !(v > 0) || v > 1e9 {
				d.failf(e.val.Line, "rate", "must be a number of requests per second above 0, got %s", e.val.Value)
			}
			s.Rate = v
		}
	}
	s.RateStages = d.text(f, "rate_stages")
	s.Arrival = d.text(f, "arrival")
	s.Client = d.text(f, "client")
	if e, ok := f["max_inflight"]; ok {
		if v, ok := d.integer(e, "max_inflight"); ok {
			if v < 1 {
				d.failf(e.val.Line, "max_inflight", "must be >= 1, got %d", v)
			}
			s.MaxInFlight = v
		}
	}
	s.MaxLag = d.duration(f, "max_lag", true, false)
	s.Warmup = d.duration(f, "warmup", false, true)
	s.Timeout = d.duration(f, "timeout", false, false)
	s.StopTimeout = d.duration(f, "stop_timeout", false, true)
	if e, ok := f["seed"]; ok {
		if e.val.Kind != yaml.ScalarNode || e.val.ShortTag() != "!!int" {
			d.failf(e.val.Line, "seed", "must be a whole number from 1 to %d, got %s", uint64(1<<64-1), describe(e.val))
		} else if v, err := strconv.ParseUint(e.val.Value, 0, 64); err != nil || v == 0 {
			d.failf(e.val.Line, "seed", "must be a whole number from 1 to %d, got %s", uint64(1<<64-1), e.val.Value)
		} else {
			s.Seed = v
		}
	}
	if e, ok := f["tls_verify"]; ok {
		s.Insecure = !d.boolean(e, "tls_verify", true)
	}
	if e, ok := f["abort_on_threshold"]; ok {
		if e.val.Kind != yaml.ScalarNode || e.val.ShortTag() != "!!bool" {
			d.failf(e.val.Line, "abort_on_threshold", "must be true or false, got %s", describe(e.val))
		} else {
			s.AbortOnThreshold = e.val.Value == "true" || e.val.Value == "True" || e.val.Value == "TRUE"
		}
	}
	return s
}

// text is a non-empty string setting, kept as written.
func (d *decoder) text(f map[string]entry, key string) string {
	e, ok := f[key]
	if !ok {
		return ""
	}
	s, ok := d.str(e, key)
	if ok && strings.TrimSpace(s) == "" {
		d.failf(e.val.Line, key, "is empty")
	}
	return strings.TrimSpace(s)
}

// duration is a duration setting, in Go's syntax or a bare number of
// seconds, as the flag takes it: positive, or also zero or negative when
// allowed.
func (d *decoder) duration(f map[string]entry, key string, negative, zero bool) time.Duration {
	e, ok := f[key]
	if !ok {
		return 0
	}
	s, ok := d.str(e, key)
	if !ok {
		return 0
	}
	s = strings.TrimSpace(s)
	neg := negative && strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	v, err := parseDuration(s)
	switch {
	case err != nil:
		d.failf(e.val.Line, key, "%q: %v", s, err)
	case v < 0:
		d.failf(e.val.Line, key, "%q: must not be negative", s)
	case v == 0 && !zero:
		d.failf(e.val.Line, key, "%q: must be greater than zero", s)
	case neg:
		return -v
	}
	return v
}
