package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func TestParseRecordsOrigins(t *testing.T) {
	c, _ := NewCommand("")
	env := map[string]string{"LOADGEN_USERS": "4", "LOADGEN_RUN_TIME": "3s", "LOADGEN_CLIENT": "nethttp"}
	s, err := c.Parse([]string{"--client", "fasthttp", "--ramp", "2"}, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{
		"users": "environment variable LOADGEN_USERS", "client": "--client", "spawn-rate": "--spawn-rate", "profile": "--profile",
	} {
		if got := s.Origin(flag).String(); got != want {
			t.Errorf("origin of --%s: %q, want %q", flag, got, want)
		}
	}
	if c.Run.Client != "fasthttp" || c.Run.Users != 4 || c.Run.SpawnRate != 2 || s.Given("profile") || !s.Given("run-time") {
		t.Errorf("values %+v", c.Run)
	}
	if s.Origin("profile").Kind != FromDefault {
		t.Error("an unset flag's origin is its default")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--nope"}, nil, "unknown flag: --nope (see loadgen --help)"},
		{[]string{"-u", "many"}, nil, "users"},
		{nil, map[string]string{"LOADGEN_USERS": "lots"}, `environment variable LOADGEN_USERS="lots"`},
		{[]string{"albums"}, nil, `unexpected argument "albums"`},
	} {
		c, _ := NewCommand("")
		_, err := c.Parse(tt.args, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
		var ue UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %v: %v, want a usage error with %q", tt.args, tt.env, err, tt.want)
		}
	}
	c, _ := NewCommand("worker")
	if _, err := c.Parse([]string{"--help"}, nil); !errors.Is(err, pflag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
}

// layer is a test source below the environment, as a configuration file
// will be.
type layer map[string]string

func (l layer) Apply(fs *pflag.FlagSet, set func(flag, value string, o Origin) error) error {
	for k, v := range l {
		if err := set(k, v, Origin{Kind: FromConfigFile, Name: k, File: "test.conf", Line: 1}); err != nil {
			return err
		}
	}
	return nil
}

func TestLayersBelowTheEnvironment(t *testing.T) {
	c, _ := NewCommand("")
	env := map[string]string{"LOADGEN_USERS": "4"}
	s, err := Parse(c.Flags, []string{"--client", "nethttp"}, Environment("LOADGEN", func(k string) (string, bool) { v, ok := env[k]; return v, ok }),
		layer{"users": "9", "client": "fasthttp", "run-time": "5s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Run.Users != 4 || c.Run.Client != "nethttp" || c.Run.RunTime != "5s" || s.Origin("run-time").String() != "test.conf:1: run-time" {
		t.Errorf("values %+v, origin %v", c.Run, s.Origin("run-time"))
	}
}
