package loadgen

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/profiles"
	"github.com/loadgen/loadgen/results"
)

// wireSpec is a valid spec in its worker form, to change in tests.
func wireSpec(host string) Spec {
	return Spec{
		Profile: profiles.Source{File: "wire-test.yaml", YAML: "name: wire-test\ntasks:\n  - path: /u\n"},
		Wait:    profiles.Wait{Kind: profiles.WaitConstant, Min: 20 * time.Millisecond, Max: 20 * time.Millisecond},
		Client:  "nethttp",
		Timeout: 5 * time.Second,
		Seed:    42,
		Host:    host,
	}
}

func TestOpenSpecJSON(t *testing.T) {
	s := wireSpec("http://127.0.0.1:8080")
	s.Open = &OpenModel{
		Rate:    schedule.Rate{Start: 12.5, Stages: []schedule.Stage{{Duration: 30 * time.Second, Target: 100}, {Duration: 1500 * time.Microsecond, Target: 0}}},
		Arrival: schedule.ArrivalPoisson, MaxInFlight: 64, MaxLag: -1, LateAfter: 2500 * time.Microsecond,
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"open":{`, `"rate":12.5`, `"stages":"30s:100,1.5ms:0"`, `"arrival":"poisson"`, `"max_inflight":64`, `"max_lag_ns":-1`, `"late_after_ns":2500000`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("wire form %s lacks %s", b, want)
		}
	}
	var back Spec
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip: %+v, %v; want %+v", back, err, s)
	}
	// A run with users sends no open part at all, so its spawn commands
	// are what they always were.
	closed, err := json.Marshal(wireSpec("http://127.0.0.1:8080"))
	if err != nil || strings.Contains(string(closed), "open") {
		t.Errorf("closed-model spec %s, %v: want no open part", closed, err)
	}
	for name, body := range map[string]string{
		"unknown field": `"open":{"rate":1,"arrival":"constant","burst":2}`,
		"bad stages":    `"open":{"rate":1,"stages":"30s","arrival":"constant"}`,
		"bad arrival":   `"open":{"rate":1,"arrival":"gaussian"}`,
	} {
		raw := `{"profile":{"builtin":"albums"},"client":"nethttp","host":"http://h","seed":"1",` + body + `}`
		if err := json.Unmarshal([]byte(raw), &back); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestRunSpecJSON(t *testing.T) {
	s := wireSpec("http://127.0.0.1:8080")
	s.Seed = 1<<64 - 1
	s.StopTimeout = 1500 * time.Millisecond
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"seed":"18446744073709551615"`) || !strings.Contains(string(b), `"stop_timeout_ms":1500`) {
		t.Errorf("wire form %s: want the seed as a string and durations in ms", b)
	}
	var back Spec
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip: %+v, %v; want %+v", back, err, s)
	}
	if err := json.Unmarshal([]byte(`{"profile":{"builtin":"albums"},"client":"x","host":"h","extra":1}`), &back); err == nil {
		t.Error("an unknown spec field was accepted")
	}
}

// TestPlanBuildsUsersOnce checks the users a Plan builds, which a run in
// this process and every worker of a distributed run both get: the
// profile's tasks, the seed, the user numbering and, for a paced wait,
// the interval of the coordinated-omission corrected series.
func TestPlanBuildsUsersOnce(t *testing.T) {
	s := wireSpec("http://127.0.0.1:8080")
	s.Wait = profiles.Wait{Kind: profiles.WaitPacing, Interval: 250 * time.Millisecond}
	p, err := s.Plan()
	if err != nil {
		t.Fatal(err)
	}
	cfg := p.UsersConfig(s.Host, 2_000_000, 0, 1)
	// A profile runs as classes of journeys, whose requests' rows are
	// known before any user starts.
	if cfg.FirstID != 2_000_000 || cfg.Seed != 42 || len(cfg.Classes) != 1 || len(cfg.Classes[0].Tasks) != 1 ||
		cfg.Rows == nil || len(cfg.Rows.Keys()) != 1 || cfg.Rows.Keys()[0] != (results.EntryKey{Method: "GET", Name: "/u"}) {
		t.Errorf("config %+v: want first ID 2000000, seed 42 and the profile's one class with its task", cfg)
	}
	if cfg.Classes[0].ExpectedInterval != 250*time.Millisecond {
		t.Errorf("expected interval %v, want the pacing's 250ms", cfg.Classes[0].ExpectedInterval)
	}
	if p.Name() != "wire-test" || len(p.Tasks()) != 1 || p.Tasks()[0] != (TaskWeight{Method: "GET", Name: "/u", Weight: 1}) {
		t.Errorf("name %q, tasks %+v", p.Name(), p.Tasks())
	}
	s.Wait = profiles.Wait{Kind: profiles.WaitConstant, Min: time.Second, Max: time.Second}
	if p, _ := s.Plan(); p.UsersConfig(s.Host, 0, 0, 1).Classes[0].ExpectedInterval != 0 {
		t.Error("a constant wait has no expected interval")
	}
}

func TestPlanChecksTheSpec(t *testing.T) {
	tests := []struct {
		name    string
		change  func(s *Spec)
		setting string
		want    string
	}{
		{"bad YAML names its line", func(s *Spec) { s.Profile.YAML = "name: x\ntasks:\n  - method: GET\n    pathh: /\n" }, "profile", "p.yaml:4"},
		{"unknown built-in", func(s *Spec) { s.Profile = profiles.Source{Builtin: "nope"} }, "profile", "nope"},
		{"ratio of the wrong length", func(s *Spec) { s.Ratio = "1:2:3" }, "ratio", "--ratio 1:2:3"},
		{"unknown client", func(s *Spec) { s.Client = "curl" }, "client", `client "curl": want one of fasthttp, nethttp`},
		{"host not a URL", func(s *Spec) { s.Host = "ftp://x" }, "host", `host "ftp://x": want an http:// or https:// URL`},
		{"host with a query", func(s *Spec) { s.Host = "http://x/?q=1" }, "host", "query"},
		{"no profile", func(s *Spec) { s.Profile = profiles.Source{} }, "profile", "profile"},
		{"negative users", func(s *Spec) { s.Users = -1 }, "users", "users -1: must be zero or more"},
		{"negative spawn rate", func(s *Spec) { s.SpawnRate = -2 }, "spawn-rate", "spawn-rate -2"},
		{"warm-up as long as the run", func(s *Spec) { s.RunTime, s.Warmup = time.Second, time.Second }, "warmup", "shorter than the run time"},
		{"no timeout", func(s *Spec) { s.Timeout = 0 }, "timeout", "timeout 0s: must be positive"},
		{"negative stop timeout", func(s *Spec) { s.StopTimeout = -1 }, "stop-timeout", "must not be negative"},
		{"unknown store", func(s *Spec) { s.Host, s.Store = "", "btree" }, "store", "btree"},
		{"bad threshold", func(s *Spec) { s.Thresholds = []Threshold{{Expr: "p99<fast", Where: "x.yaml:6: thresholds[0]"}} }, "threshold", "x.yaml:6: thresholds[0]: "},
		{"users in an open model", func(s *Spec) { s.Users, s.Open = 5, &OpenModel{Rate: schedule.Constant(5)} }, "users", "closed-model users"},
		{"zero open rate", func(s *Spec) { s.Open = &OpenModel{Rate: schedule.Constant(0)} }, "rate", "rate 0: must be positive"},
		{"huge in-flight cap", func(s *Spec) { s.Open = &OpenModel{Rate: schedule.Constant(1), MaxInFlight: MaxInFlightLimit + 1} }, "max-inflight", "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := wireSpec("http://127.0.0.1:8080")
			s.Profile.File = "p.yaml"
			tt.change(&s)
			_, err := s.Plan()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one with %q", err, tt.want)
			}
			var se *SpecError
			if !errors.As(err, &se) || se.Setting != tt.setting {
				t.Errorf("error %#v names setting %q, want %q", se, se.Setting, tt.setting)
			}
		})
	}
	good := wireSpec("http://127.0.0.1:8080")
	if err := good.Validate(); err != nil {
		t.Errorf("a good spec: %v", err)
	}
}

// TestForWorkerIsVersionOne checks that the spec a coordinator sends its
// workers has exactly the fields of version 1 of the protocol, whatever
// else the run's Spec says: workers from before the other fields still
// read it, and new fields never leak into spawn commands.
func TestForWorkerIsVersionOne(t *testing.T) {
	s := wireSpec("http://127.0.0.1:8080")
	s.Store, s.Users, s.SpawnRate, s.RunTime, s.Warmup = "sharded", 50, 10, time.Minute, 5*time.Second
	s.Thresholds, s.AbortOnThreshold, s.EntryHistory = []Threshold{{Expr: "p99<1s"}}, true, true
	full, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"users":50`, `"run_time_ms":60000`, `"thresholds":`, `"store":"sharded"`} {
		if !strings.Contains(string(full), key) {
			t.Errorf("full form %s lacks %s", full, key)
		}
	}
	w, err := json.Marshal(s.ForWorker())
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(w, &fields); err != nil {
		t.Fatal(err)
	}
	v1 := []string{"profile", "ratio", "wait", "client", "timeout_ms", "stop_timeout_ms", "seed", "host", "user_agent", "open"}
	for k := range fields {
		if !slices.Contains(v1, k) {
			t.Errorf("worker form %s has %q, which version 1 does not", w, k)
		}
	}
	var back Spec
	if err := json.Unmarshal(full, &back); err != nil || !reflect.DeepEqual(back, s) {
		t.Errorf("full form round trip: %+v, %v", back, err)
	}
}

// TestCACertTravelsToWorkers: the CA certificates of --ca-cert go to
// workers in the Spec itself, so that a worker's machine need not have
// the file; a Spec whose certificates do not parse is refused.
func TestCACertTravelsToWorkers(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ca, err := ReadCACert(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	s := wireSpec(srv.URL)
	s.CACert = ca
	b, err := json.Marshal(s.ForWorker())
	if err != nil {
		t.Fatal(err)
	}
	var w Spec
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	p, err := w.Plan()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := p.newClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := cl.Do(context.Background(), &client.Request{Method: "GET", URL: srv.URL + "/"})
	if err != nil || resp.Status != 200 {
		t.Errorf("a worker's client, with the CA certificate from the Spec (its file gone): %d, %v", resp.Status, err)
	}

	w.CACert = &CACert{File: "junk.pem", PEM: "not a certificate"}
	if _, err := w.Plan(); err == nil || !strings.Contains(err.Error(), "ca-cert junk.pem: no PEM certificate in it") {
		t.Errorf("a Spec with junk for CA certificates: %v", err)
	}
}
