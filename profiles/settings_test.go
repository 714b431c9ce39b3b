package profiles

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSettings(t *testing.T) {
	p, err := Parse("s.yaml", []byte(`name: s
rate: 250.5
rate_stages: 10s:100,20s:0
arrival: poisson
max_inflight: 64
max_lag: -1s
warmup: 5s
client: nethttp
timeout: 2.5
stop_timeout: 0s
seed: 18446744073709551615
abort_on_threshold: true
host:
tasks:
  - path: /a
`))
	if err != nil {
		t.Fatal(err)
	}
	s := p.Settings
	want := Settings{Rate: 250.5, RateStages: "10s:100,20s:0", Arrival: "poisson", MaxInFlight: 64, MaxLag: -time.Second,
		Warmup: 5 * time.Second, Client: "nethttp", Timeout: 2500 * time.Millisecond, Seed: 1<<64 - 1, AbortOnThreshold: true}
	got := s
	got.Lines = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("settings %+v\nwant %+v", got, want)
	}
	for key, line := range map[string]int{"rate": 2, "rate_stages": 3, "stop_timeout": 10, "tasks": 14} {
		if s.Lines[key] != line || !s.Has(key) {
			t.Errorf("%s: line %d, want %d", key, s.Lines[key], line)
		}
	}
	if s.Has("users") || s.Has("host") {
		t.Errorf("a key left empty or out counts as set: %v", s.Lines)
	}
}

func TestSettingsErrorsNameTheLine(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"rate: 0", "x.yaml:1: rate: must be a number of requests per second above 0"},
		{"rate: fast", "x.yaml:1: rate:"},
		{"max_inflight: 0", "x.yaml:1: max_inflight: must be >= 1"},
		{"max_lag: soon", "x.yaml:1: max_lag:"},
		{"warmup: -5s", "x.yaml:1: warmup:"},
		{"timeout: 0", "x.yaml:1: timeout: \"0\": must be greater than zero"},
		{"seed: 0", "x.yaml:1: seed: must be a whole number"},
		{"seed: -3", "x.yaml:1: seed: must be a whole number"},
		{"seed: 1.5", "x.yaml:1: seed: must be a whole number"},
		{"abort_on_threshold: yes please", "x.yaml:1: abort_on_threshold: must be true or false"},
		{"client: ''", "x.yaml:1: client: is empty"},
		{"arival: poisson", `x.yaml:1: arival: unknown field "arival"`},
	} {
		_, err := Parse("x.yaml", []byte(tt.yaml+"\ntasks:\n  - path: /a\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
