package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/profiles"
)

// build parses args and env for the default command and builds its Spec.
func build(t *testing.T, env map[string]string, args ...string) (*loadgen.Spec, *Settings, error) {
	t.Helper()
	c, err := NewCommand("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Parse(args, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		return nil, s, err
	}
	spec, err := c.Spec(s, "v9", Overrides{})
	return spec, s, err
}

func writeProfile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSpecDefaults(t *testing.T) {
	s, _, err := build(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := loadgen.Spec{
		Store: "mutex", Profile: profiles.Source{Builtin: "albums"}, Users: 50, SpawnRate: 10, RunTime: 30 * time.Second,
		Client: "fasthttp", Timeout: time.Minute, UserAgent: "loadgen/v9",
	}
	if s.Host != "" || s.Store != want.Store || !reflect.DeepEqual(s.Profile, want.Profile) || s.Users != 50 || s.SpawnRate != 10 ||
		s.RunTime != want.RunTime || s.Client != want.Client || s.Timeout != want.Timeout || s.UserAgent != want.UserAgent ||
		s.Open != nil || s.Seed != 0 || len(s.Thresholds) != 0 {
		t.Errorf("defaults %+v", s)
	}
}

// TestSpecPrecedence checks every source against the others: a flag's
// default, then the profile, then the environment, then the command line.
func TestSpecPrecedence(t *testing.T) {
	prof := writeProfile(t, "name: p\nusers: 7\nspawn_rate: 2\nrun_time: 9s\nwait: constant:1s\nclient: nethttp\ntimeout: 3s\nwarmup: 2s\nseed: 11\nthresholds: [p99<1s]\ntasks: [{path: /a}]\n")
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(s *loadgen.Spec) bool
	}{
		{"profile over defaults", nil, []string{"--profile", prof}, func(s *loadgen.Spec) bool {
			return s.Users == 7 && s.SpawnRate == 2 && s.RunTime == 9*time.Second && s.Wait.String() == "constant:1s" &&
				s.Client == "nethttp" && s.Timeout == 3*time.Second && s.Warmup == 2*time.Second && s.Seed == 11
		}},
		{"environment over profile", map[string]string{"LOADGEN_USERS": "8", "LOADGEN_CLIENT": "fasthttp", "LOADGEN_WAIT": "0"}, []string{"--profile", prof}, func(s *loadgen.Spec) bool {
			return s.Users == 8 && s.Client == "fasthttp" && s.Wait == (profiles.Wait{}) && s.SpawnRate == 2
		}},
		{"command line over environment", map[string]string{"LOADGEN_USERS": "8", "LOADGEN_PROFILE": prof}, []string{"-u", "9", "--seed", "12"}, func(s *loadgen.Spec) bool {
			return s.Users == 9 && s.Seed == 12 && s.RunTime == 9*time.Second
		}},
		{"thresholds add up", nil, []string{"--profile", prof, "--threshold", "rps>1"}, func(s *loadgen.Spec) bool {
			return len(s.Thresholds) == 2 && s.Thresholds[0].Where == prof+":10: thresholds[0]" && s.Thresholds[1] == (loadgen.Threshold{Expr: "rps>1", Where: "--threshold"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, err := build(t, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(s) {
				t.Errorf("spec %+v", s)
			}
		})
	}
}

// TestSpecOpenModelFromProfile: a profile can describe an open-model run,
// whose stages say how long it is.
func TestSpecOpenModelFromProfile(t *testing.T) {
	prof := writeProfile(t, "name: o\nrate: 5\nrate_stages: 10s:100,5s:0\narrival: poisson\nmax_inflight: 20\nmax_lag: -1s\ntasks: [{path: /a}]\n")
	s, _, err := build(t, nil, "--profile", prof)
	if err != nil {
		t.Fatal(err)
	}
	want := loadgen.OpenModel{Rate: schedule.Rate{Start: 5, Stages: []schedule.Stage{{Duration: 10 * time.Second, Target: 100}, {Duration: 5 * time.Second, Target: 0}}},
		Arrival: schedule.ArrivalPoisson, MaxInFlight: 20, MaxLag: -time.Second}
	if s.Open == nil || s.Open.Arrival != want.Arrival || s.Open.MaxInFlight != 20 || s.Open.MaxLag != -time.Second ||
		schedule.FormatStages(s.Open.Rate.Stages) != "10s:100,5s:0" || s.Open.Rate.Start != 5 {
		t.Fatalf("open model %+v, want %+v", s.Open, want)
	}
	if s.RunTime != 15*time.Second || s.Users != 0 || s.SpawnRate != 0 {
		t.Errorf("run time %v, users %d, spawn rate %g: want the stages' 15s and no users", s.RunTime, s.Users, s.SpawnRate)
	}
	if s, _, err := build(t, nil, "--profile", prof, "--rate-stages", "1s:1", "--arrival", "constant"); err != nil || s.RunTime != time.Second || s.Open.Arrival != schedule.ArrivalConstant {
		t.Errorf("flags over the profile: %+v, %v", s, err)
	}
}

// TestSpecErrorsNameTheirSource: a bad value is reported where it was
// set: the flag, the environment variable, the profile's line.
func TestSpecErrorsNameTheirSource(t *testing.T) {
	prof := writeProfile(t, "name: p\nwarmup: 40s\nclient: curl\ntasks: [{path: /a}]\n")
	badStages := writeProfile(t, "name: p\nrate_stages: 10s\ntasks: [{path: /a}]\n")
	arrival := writeProfile(t, "name: p\narrival: poisson\ntasks: [{path: /a}]\n")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"flag", nil, []string{"--users", "-1"}, []string{"--users -1: must be zero or more"}},
		{"environment", map[string]string{"LOADGEN_USERS": "-2"}, nil, []string{"--users: -2: must be zero or more", "(from environment variable LOADGEN_USERS)"}},
		{"profile lines", nil, []string{"--profile", prof}, []string{prof + ":2: warmup: 40s: the warm-up must be at least 0 and shorter than the run time 30s", prof + `:3: client: "curl": want one of`}},
		{"profile stages", nil, []string{"--profile", badStages}, []string{badStages + ":2: rate_stages: stage 1"}},
		{"arrival without a rate", nil, []string{"--profile", arrival}, []string{arrival + ":2: arrival: applies to open-model runs only"}},
		{"users with a rate", nil, []string{"--rate", "5", "-u", "3"}, []string{"an open-model run (--rate) has none"}},
		{"unknown profile", nil, []string{"--profile", "albumz"}, []string{`--profile: profile "albumz" is neither a built-in profile (albums, `}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := build(t, tt.env, tt.args...)
			var ue UsageError
			if err == nil || !errorsAs(err, &ue) {
				t.Fatalf("error %v, want a UsageError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestSpecOverrides: a start request's profile brings its own settings,
// drops --ratio (which names the command line profile's tasks), and keeps
// what the command line gave.
func TestSpecOverrides(t *testing.T) {
	c, _ := NewCommand("")
	s, err := c.Parse([]string{"--ratio", "3:1", "--timeout", "2s", "--threshold", "rps>0"}, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	src := profiles.Source{File: "profile_yaml", YAML: "name: mine\nwait: constant:2s\nusers: 4\nthresholds: [p99<1s]\ntasks: [{path: /a}]\n"}
	users, rt := 3, time.Duration(0)
	spec, err := c.Spec(s, "v", Overrides{Profile: &src, Users: &users, RunTime: &rt})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Ratio != "" || spec.Users != 3 || spec.RunTime != 0 || spec.Timeout != 2*time.Second || spec.Wait.String() != "constant:2s" || len(spec.Thresholds) != 2 {
		t.Errorf("spec %+v", spec)
	}
	bad := -1
	if _, err := c.Spec(s, "v", Overrides{Users: &bad}); err == nil || !strings.Contains(err.Error(), "users: -1: must be zero or more") {
		t.Errorf("a request's bad users: %v", err)
	}
}

func TestCommandsHaveTheirFlags(t *testing.T) {
	for _, tt := range []struct {
		sub   string
		flags []string
	}{
		{"", []string{"users", "spawn-rate", "workers", "web", "version", "rate", "threshold"}},
		{"coordinator", []string{"listen", "expect-workers", "token", "users", "web"}},
		{"worker", []string{"coordinator", "token", "id", "connect-timeout", "loglevel"}},
		{"compare", []string{"clients", "cooldown", "users"}},
		{"scale", []string{"over", "step", "cooldown", "html", "warmup"}},
	} {
		c, err := NewCommand(tt.sub)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range tt.flags {
			if c.Flags.Lookup(f) == nil {
				t.Errorf("%s has no --%s", c.Name, f)
			}
		}
		if !strings.Contains(c.Help(), "Usage: "+c.Name) {
			t.Errorf("%s help: %s", c.Name, c.Help())
		}
	}
	if _, err := NewCommand("nope"); err == nil {
		t.Error("an unknown command")
	}
	scale, _ := NewCommand("scale")
	if scale.Run.Warmup != 5*time.Second || scale.Flags.Lookup("warmup").DefValue != "5s" {
		t.Error("scale's warm-up defaults to 5s")
	}
}
