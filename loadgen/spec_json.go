package loadgen

import (
	"encoding/json"
	"time"

	"github.com/loadgen/loadgen/internal/jsonhttp"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/profiles"
)

// specJSON is a Spec's JSON form. Its first fields are the worker's part,
// exactly as version 1 of the control protocol has always sent it
// (docs/protocol.md): durations in milliseconds, the seed as a string
// because JSON readers outside Go lose the low bits of integers over 2^53.
// The rest are left out when zero, which they are in ForWorker's form, so
// workers from before them still read every spec they are sent.
type specJSON struct {
	Profile       profiles.Source `json:"profile"`
	Ratio         string          `json:"ratio,omitempty"`
	Wait          string          `json:"wait,omitempty"`
	Client        string          `json:"client"`
	TimeoutMS     int64           `json:"timeout_ms"`
	StopTimeoutMS int64           `json:"stop_timeout_ms"`
	Seed          uint64          `json:"seed,string"`
	Host          string          `json:"host"`
	UserAgent     string          `json:"user_agent,omitempty"`
	Open          *openJSON       `json:"open,omitempty"`
	// Tags and ExcludeTags select the profile's tasks on workers too;
	// left out when empty, as they are in every spec without them.
	Tags        []string `json:"tags,omitempty"`
	ExcludeTags []string `json:"exclude_tags,omitempty"`
	Insecure    bool     `json:"insecure,omitempty"`
	CACert      *CACert  `json:"ca_cert,omitempty"`

	Store            string      `json:"store,omitempty"`
	Users            int         `json:"users,omitempty"`
	SpawnRate        float64     `json:"spawn_rate,omitempty"`
	RunTimeMS        int64       `json:"run_time_ms,omitempty"`
	WarmupMS         int64       `json:"warmup_ms,omitempty"`
	Thresholds       []Threshold `json:"thresholds,omitempty"`
	AbortOnThreshold bool        `json:"abort_on_threshold,omitempty"`
	ResetStats       bool        `json:"reset_stats,omitempty"`
	EntryHistory     bool        `json:"entry_history,omitempty"`
	Stages           string      `json:"stages,omitempty"`
}

// openJSON is OpenModel's JSON form: the stages in --rate-stages syntax,
// which reads back exactly, and durations in nanoseconds.
type openJSON struct {
	Rate        float64 `json:"rate"`
	Stages      string  `json:"stages,omitempty"`
	Arrival     string  `json:"arrival"`
	MaxInFlight int     `json:"max_inflight,omitempty"`
	MaxLagNS    int64   `json:"max_lag_ns,omitempty"`
	LateAfterNS int64   `json:"late_after_ns,omitempty"`
}

// MarshalJSON writes the Spec's JSON form. A Go Workload is not part of
// it.
func (s Spec) MarshalJSON() ([]byte, error) {
	j := specJSON{
		Profile: s.Profile, Ratio: s.Ratio, Wait: s.Wait.String(), Client: s.Client,
		TimeoutMS: s.Timeout.Milliseconds(), StopTimeoutMS: s.StopTimeout.Milliseconds(),
		Seed: s.Seed, Host: s.Host, UserAgent: s.UserAgent,
		Store: s.Store, Users: s.Users, SpawnRate: s.SpawnRate,
		RunTimeMS: s.RunTime.Milliseconds(), WarmupMS: s.Warmup.Milliseconds(),
		Thresholds: s.Thresholds, AbortOnThreshold: s.AbortOnThreshold, EntryHistory: s.EntryHistory, ResetStats: s.ResetStats,
		Tags: s.Tags, ExcludeTags: s.ExcludeTags, Insecure: s.Insecure, CACert: s.CACert,
	}
	if len(s.Stages) > 0 {
		j.Stages = profiles.FormatStages(s.Stages)
	}
	if o := s.Open; o != nil {
		j.Open = &openJSON{
			Rate: o.Rate.Start, Stages: schedule.FormatStages(o.Rate.Stages), Arrival: o.Arrival.String(),
			MaxInFlight: o.MaxInFlight, MaxLagNS: int64(o.MaxLag), LateAfterNS: int64(o.LateAfter),
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the JSON form strictly: an unknown field, a wait or
// stages that do not parse, or trailing data is an error. It checks the
// syntax only; Validate checks the values.
func (s *Spec) UnmarshalJSON(data []byte) error {
	var j specJSON
	if err := jsonhttp.DecodeStrict(data, &j); err != nil {
		return err
	}
	wait, err := profiles.ParseWait(j.Wait)
	if err != nil {
		return &SpecError{Setting: "wait", Err: err}
	}
	out := Spec{
		Host: j.Host, Store: j.Store, Profile: j.Profile, Ratio: j.Ratio, Wait: wait,
		Users: j.Users, SpawnRate: j.SpawnRate,
		RunTime: ms(j.RunTimeMS), Warmup: ms(j.WarmupMS), StopTimeout: ms(j.StopTimeoutMS),
		Client: j.Client, Timeout: ms(j.TimeoutMS), UserAgent: j.UserAgent, Seed: j.Seed,
		Thresholds: j.Thresholds, AbortOnThreshold: j.AbortOnThreshold, EntryHistory: j.EntryHistory, ResetStats: j.ResetStats,
		Tags: j.Tags, ExcludeTags: j.ExcludeTags, Insecure: j.Insecure, CACert: j.CACert,
	}
	if j.Stages != "" {
		if out.Stages, err = profiles.ParseStages(j.Stages); err != nil {
			return &SpecError{Setting: "stages", Err: err}
		}
	}
	if o := j.Open; o != nil {
		m := &OpenModel{Rate: schedule.Rate{Start: o.Rate}, MaxInFlight: o.MaxInFlight,
			MaxLag: time.Duration(o.MaxLagNS), LateAfter: time.Duration(o.LateAfterNS)}
		if o.Stages != "" {
			if m.Rate.Stages, err = schedule.ParseStages(o.Stages); err != nil {
				return &SpecError{Setting: "rate-stages", Err: err}
			}
		}
		if m.Arrival, err = schedule.ParseArrival(o.Arrival); err != nil {
			return &SpecError{Setting: "arrival", Err: err}
		}
		out.Open = m
	}
	*s = out
	return nil
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
