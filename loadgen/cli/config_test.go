package cli

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/locusttest"
	"github.com/loadgen/loadgen/loadgen/locust"
)

// source is one source of settings in a precedence test.
type source struct {
	locustConf, loadgenConf, configFlag string // file contents
	loadgenEnv, locustEnv               map[string]string
	args                                []string
}

// parseWith parses the default command with the sources in a directory
// of its own.
func parseWith(t *testing.T, src source) (*Command, *Settings, error) {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	args := src.args
	if src.locustConf != "" {
		write("locust.conf", src.locustConf)
	}
	if src.loadgenConf != "" {
		write("loadgen.conf", src.loadgenConf)
	}
	if src.configFlag != "" {
		args = append([]string{"--config", write("other.conf", src.configFlag)}, args...)
	}
	env := map[string]string{}
	for k, v := range src.loadgenEnv {
		env[k] = v
	}
	for k, v := range src.locustEnv {
		env[k] = v
	}
	c, _ := NewCommand("")
	c.ConfigDir = dir
	s, err := c.Parse(args, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return c, s, err
}

// TestConfigPrecedence: each source alone, and against each other:
// defaults < locust.conf < loadgen.conf < --config < LOCUST_* < LOADGEN_*
// < the command line; the Spec gets the winner, and its origin names it.
func TestConfigPrecedence(t *testing.T) {
	const (
		locustConf  = "users = 2\n"
		loadgenConf = "\nusers = 3\n"
		otherConf   = "\n\nusers = 4\n"
	)
	locustEnv := map[string]string{"LOCUST_USERS": "5"}
	loadgenEnv := map[string]string{"LOADGEN_USERS": "6"}
	cmdline := []string{"-u", "7"}
	tests := []struct {
		name   string
		src    source
		users  int
		origin string
	}{
		{"defaults", source{}, 50, "--users"},
		{"locust.conf", source{locustConf: locustConf}, 2, "locust.conf:1: users"},
		{"loadgen.conf", source{loadgenConf: loadgenConf}, 3, "loadgen.conf:2: users"},
		{"--config", source{configFlag: otherConf}, 4, "other.conf:3: users"},
		{"LOCUST_", source{locustEnv: locustEnv}, 5, "environment variable LOCUST_USERS"},
		{"LOADGEN_", source{loadgenEnv: loadgenEnv}, 6, "environment variable LOADGEN_USERS"},
		{"command line", source{args: cmdline}, 7, "--users"},
		{"loadgen.conf over locust.conf", source{locustConf: locustConf, loadgenConf: loadgenConf}, 3, "loadgen.conf:2: users"},
		{"--config over both", source{locustConf: locustConf, loadgenConf: loadgenConf, configFlag: otherConf}, 4, "other.conf:3: users"},
		{"LOCUST_ over files", source{locustConf: locustConf, loadgenConf: loadgenConf, configFlag: otherConf, locustEnv: locustEnv}, 5, "environment variable LOCUST_USERS"},
		{"LOADGEN_ over LOCUST_", source{locustConf: locustConf, locustEnv: locustEnv, loadgenEnv: loadgenEnv}, 6, "environment variable LOADGEN_USERS"},
		{"command line over all", source{locustConf: locustConf, loadgenConf: loadgenConf, configFlag: otherConf, locustEnv: locustEnv, loadgenEnv: loadgenEnv, args: cmdline}, 7, "--users"},
		{"command line over a file", source{locustConf: locustConf, args: cmdline}, 7, "--users"},
		{"LOCUST_ over a file", source{loadgenConf: loadgenConf, locustEnv: locustEnv}, 5, "environment variable LOCUST_USERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, s, err := parseWith(t, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			spec, err := c.Spec(s, "test", Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			o := s.Origin("users").String()
			if spec.Users != tt.users || !strings.HasSuffix(o, tt.origin) {
				t.Errorf("users %d from %q; want %d from %q", spec.Users, o, tt.users, tt.origin)
			}
		})
	}
}

// TestLocustSettingsReachTheSpec: Locust's names (LOCUST_HOST,
// locustfile, bare seconds) set the run loadgen builds.
func TestLocustSettingsReachTheSpec(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(profile, []byte("name: p\ntasks:\n  - path: /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, s, err := parseWith(t, source{
		locustConf: "locustfile = " + profile + "\nstop-timeout = 7\nreset-stats = true\nheadless = true\n",
		locustEnv:  map[string]string{"LOCUST_HOST": "http://127.0.0.1:9/api", "LOCUST_RUN_TIME": "1s", "LOCUST_SPAWN_RATE": "3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	spec, err := c.Spec(s, "test", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if spec.Host != "http://127.0.0.1:9/api" || spec.RunTime != time.Second || spec.SpawnRate != 3 ||
		spec.StopTimeout != 7*time.Second || !spec.ResetStats || spec.Profile.File != profile || !c.Locust.Headless {
		t.Errorf("spec %+v", spec)
	}
	if len(c.ConfigFilesRead) != 1 || filepath.Base(c.ConfigFilesRead[0]) != "locust.conf" {
		t.Errorf("config files read: %q", c.ConfigFilesRead)
	}
	c, s, err = parseWith(t, source{args: []string{"-f", profile, "-s", "2.5", "--locustfile", profile}})
	if err != nil {
		t.Fatal(err)
	}
	if spec, err = c.Spec(s, "test", Overrides{}); err != nil || spec.StopTimeout != 2500*time.Millisecond {
		t.Errorf("-s 2.5: %v %v", spec, err)
	}
}

// TestConfigMistakes: every mistake is a usage error that says where it
// was made and what to do.
func TestConfigMistakes(t *testing.T) {
	tests := []struct {
		name string
		src  source
		want []string
	}{
		{"unknown key", source{locustConf: "host = http://h\nuserz = 3\n"}, []string{"locust.conf:2: userz: unknown key", `"users"`}},
		{"refused key", source{loadgenConf: "master = true\n"}, []string{"loadgen.conf:1: master", "loadgen coordinator"}},
		{"bad value", source{configFlag: "users = lots\n"}, []string{"other.conf:1: users"}},
		{"unreadable line", source{locustConf: "= x\n"}, []string{"locust.conf:1:"}},
		{"refused flag", source{args: []string{"--master"}}, []string{"--master is Locust's option", "loadgen coordinator"}},
		{"refused flag with value", source{args: []string{"--master-host=h"}}, []string{"--master-host is Locust's option", "--coordinator"}},
		{"refused letter", source{args: []string{"-l"}}, []string{"-l (--list) is Locust's option"}},
		{"refused env", source{locustEnv: map[string]string{"LOCUST_MODE_WORKER": "true"}}, []string{"environment variable LOCUST_MODE_WORKER", "--worker is Locust's", "loadgen worker"}},
		{"bad env", source{locustEnv: map[string]string{"LOCUST_USERS": "x"}}, []string{"environment variable LOCUST_USERS"}},
		{"missing --config", source{args: []string{"--config", "/nonexistent/x.conf"}}, []string{"reading config file", "/nonexistent/x.conf"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseWith(t, tt.src)
			var ue UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v, want a usage error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestSpecMistakesFromLocust: a locustfile and settings that do not fit
// the run are refused with the way to go.
func TestSpecMistakesFromLocust(t *testing.T) {
	tests := []struct {
		src  source
		want string
	}{
		{source{args: []string{"-f", "locustfile.py"}}, "docs/locust.md"},
		{source{locustConf: "locustfile = tests/locustfile.py\n"}, "locust.conf:1: locustfile"},
	}
	for _, tt := range tests {
		c, s, err := parseWith(t, tt.src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Spec(s, "test", Overrides{})
		var ue UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want a usage error with %q", tt.src, err, tt.want)
		}
	}
	for _, tt := range []struct {
		src  source
		want string
	}{
		{source{args: []string{"--expect-workers", "2"}}, "add --workers N"},
		{source{args: []string{"--workers", "2", "--expect-workers", "3"}}, "want 1 to --workers (2)"},
	} {
		c, s, err := parseWith(t, tt.src)
		if err != nil {
			t.Fatal(err)
		}
		spec, err := c.Spec(s, "test", Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Engine(spec, nil, "test"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.src.args, err, tt.want)
		}
	}
	for _, tt := range []struct {
		src  source
		want string
	}{
		{source{args: []string{"--web", "--headless"}}, "--headless turns the web UI off"},
		{source{args: []string{"--web", "--autoquit", "3"}}, "add --autostart"},
		{source{args: []string{"--autoquit", "3"}}, "add --web"},
		{source{locustConf: "autostart = true\n"}, "add --web (set by"},
	} {
		c, s, err := parseWith(t, tt.src)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CheckWeb(s); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.src, err, tt.want)
		}
	}
}

// TestEveryLocustOptionTakenOrRefused holds the command line to real
// Locust's: each of its options, long and short, is a flag of loadgen's
// (or an alias of one) or refused with the loadgen way; none is unknown.
func TestEveryLocustOptionTakenOrRefused(t *testing.T) {
	py := locusttest.Python(t, "locust")
	const script = `
import json
from locust.argument_parser import get_parser
print(json.dumps([o for a in get_parser()._actions for o in a.option_strings if o not in ("-h", "--help")]))
`
	out, err := exec.Command(py, "-c", script).Output()
	if err != nil {
		t.Fatalf("listing Locust's options: %v", err)
	}
	var opts []string
	if err := json.Unmarshal(out, &opts); err != nil || len(opts) < 40 {
		t.Fatalf("Locust's options %s: %v", out, err)
	}
	checkOptionsTable(t, opts)
	for _, sub := range []string{"", "coordinator"} {
		c, _ := NewCommand(sub)
		fs := c.Flags
		for _, o := range opts {
			var taken, refused bool
			if strings.HasPrefix(o, "--") {
				taken = fs.Lookup(o[2:]) != nil
				_, refused = locust.Refused(o[2:])
			} else {
				taken = fs.ShorthandLookup(o[1:]) != nil
				_, _, refused = locust.RefusedShort(o[1:])
			}
			if taken == refused {
				t.Errorf("loadgen %s: Locust's %s is taken: %v, refused: %v; want exactly one", sub, o, taken, refused)
			}
		}
	}
}

// checkOptionsTable holds docs/locust.md's table of Locust's options to
// the options: each is in a row, and a refused one's row says so.
func checkOptionsTable(t *testing.T, opts []string) {
	t.Helper()
	doc, err := os.ReadFile("../../docs/locust.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		row := regexp.MustCompile("(?m)^\\|[^\n]*`(?:[^`]*[ ,])?" + regexp.QuoteMeta(o) + "[` ,][^\n]*$").FindString(string(doc))
		if row == "" {
			t.Errorf("docs/locust.md's table of Locust's options has no row for %s", o)
			continue
		}
		name := strings.TrimLeft(o, "-")
		if len(name) == 1 {
			name, _, _ = locust.RefusedShort(name)
		}
		if _, refused := locust.Refused(name); refused != strings.Contains(row, "| refused |") {
			t.Errorf("docs/locust.md: %s is refused: %v, but its row says\n%s", o, refused, row)
		}
	}
}
