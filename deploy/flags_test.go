package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// flagInfo is what a --help line says about one flag.
type flagInfo struct {
	// takesValue: the value may be the next argument. Flags shown as
	// --name[=...] take one only after "=".
	takesValue bool
}

// flagSet is the flags of one command, as its --help lists them.
type flagSet struct {
	long  map[string]flagInfo
	short map[string]string // shorthand letter -> long name
}

// helpLine matches a pflag usage line: "  -u, --users int   ...",
// "      --profile string   ..." or "      --only-summary[=true|false]   ...".
var helpLine = regexp.MustCompile(`^\s+(?:-([A-Za-z0-9]), )?--([A-Za-z0-9][A-Za-z0-9-]*)(\[=[^\]]*\])?(?: ([A-Za-z][A-Za-z0-9]*))?(?:\s{2,}|$)`)

// parseHelp reads the flags a --help output lists. It fails when it finds
// none, so a changed help format cannot make every flag look unknown, or
// the checks vacuous.
func parseHelp(help string) (flagSet, error) {
	fs := flagSet{long: map[string]flagInfo{}, short: map[string]string{}}
	for _, line := range strings.Split(help, "\n") {
		m := helpLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		fs.long[m[2]] = flagInfo{takesValue: m[3] == "" && m[4] != ""}
		if m[1] != "" {
			fs.short[m[1]] = m[2]
		}
	}
	if len(fs.long) == 0 {
		return fs, errors.New("no flag lines (\"  -x, --name type\" or \"      --name type\") in the help output")
	}
	return fs, nil
}

// checkArgs returns what is wrong with args for a command with flags fs:
// unknown flags, flags missing their value, and arguments that are not
// flags or flag values (the commands here take none).
func checkArgs(fs flagSet, args []string) []string {
	var problems []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		var name string
		inlineValue := false
		switch {
		case a == "--":
			problems = append(problems, "\"--\" ends the flags, and these commands take no other arguments")
			return problems
		case strings.HasPrefix(a, "--"):
			var ok bool
			name, _, inlineValue = strings.Cut(a[2:], "=")
			if _, ok = fs.long[name]; !ok {
				problems = append(problems, fmt.Sprintf("unknown flag --%s", name))
				continue
			}
		case len(a) > 1 && a[0] == '-':
			long, ok := fs.short[a[1:2]]
			if !ok {
				problems = append(problems, fmt.Sprintf("unknown shorthand flag -%s in %q", a[1:2], a))
				continue
			}
			name, inlineValue = long, len(a) > 2
		default:
			problems = append(problems, fmt.Sprintf("unexpected argument %q: not a flag, nor the value of one", a))
			continue
		}
		if fs.long[name].takesValue && !inlineValue {
			if i+1 == len(args) {
				problems = append(problems, fmt.Sprintf("flag --%s needs a value", name))
				continue
			}
			i++
		}
	}
	return problems
}

// envNames maps every variable a program reads settings from to its flag:
// loadgen reads LOADGEN_ and the flag name in capitals with dashes as
// underscores, albumsvc ALBUMSVC_ and the name in capitals.
func envNames(program string, fs flagSet) map[string]string {
	names := map[string]string{}
	for flag := range fs.long {
		if flag == "help" || flag == "version" {
			continue
		}
		switch program {
		case "loadgen":
			names["LOADGEN_"+strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))] = flag
		case "albumsvc":
			names["ALBUMSVC_"+strings.ToUpper(flag)] = flag
		}
	}
	return names
}

// checkEnv returns the variables in env that look like a setting of either
// program but that program does not read: a misspelt or unknown flag
// name, or the other program's prefix.
func checkEnv(program string, fs flagSet, env []string) []string {
	known := envNames(program, fs)
	var problems []string
	for _, name := range env {
		if !strings.HasPrefix(name, "LOADGEN_") && !strings.HasPrefix(name, "ALBUMSVC_") {
			continue
		}
		if _, ok := known[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s is not a setting of %s: no flag --%s", name, program,
				strings.ToLower(strings.ReplaceAll(name[strings.IndexByte(name, '_')+1:], "_", "-"))))
		}
	}
	return problems
}

// invocation is one run of a binary as a deploy file writes it.
type invocation struct {
	where   string   // file and place, for messages
	program string   // loadgen or albumsvc
	args    []string // everything after the program
	env     []string // names of the variables set for it
}

// command splits off loadgen's subcommand: the key its help is known
// under ("loadgen worker") and the arguments after it.
func (inv invocation) command() (string, []string) {
	if inv.program == "loadgen" && len(inv.args) > 0 && !strings.HasPrefix(inv.args[0], "-") {
		return "loadgen " + inv.args[0], inv.args[1:]
	}
	return inv.program, inv.args
}

// binaries are the project's programs, built for the test.
type binaries struct {
	dir  string
	help map[string]string // command key -> its --help output
}

// buildBinaries builds loadgen and albumsvc from this module, the way the
// Dockerfile does (static, no cgo).
func buildBinaries(t *testing.T) *binaries {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the binaries whose flags are checked: %v", err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", dir+string(filepath.Separator), "./cmd/loadgen", "./cmd/albumsvc")
	cmd.Dir = ".." // the module root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/loadgen ./cmd/albumsvc: %v\n%s", err, out)
	}
	return &binaries{dir: dir, help: map[string]string{}}
}

// run runs a program with args in an empty environment, so that no
// LOADGEN_ or ALBUMSVC_ variable of the test's own changes the outcome.
func (b *binaries) run(t *testing.T, program string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(b.dir, program), args...)
	cmd.Env = []string{}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// flags returns the flags of a command key ("loadgen", "loadgen worker",
// "albumsvc") from its --help.
func (b *binaries) flags(t *testing.T, key string) (flagSet, error) {
	t.Helper()
	help, ok := b.help[key]
	if !ok {
		words := strings.Fields(key)
		out, err := b.run(t, words[0], append(words[1:], "--help")...)
		if err != nil {
			return flagSet{}, fmt.Errorf("%s --help: %w\n%s", key, err, out)
		}
		b.help[key] = out
		help = out
	}
	fs, err := parseHelp(help)
	if err != nil {
		return fs, fmt.Errorf("%s --help: %w", key, err)
	}
	return fs, nil
}

// parse hands args to the program's own flag parser: with --help last,
// every flag before it is parsed (names and value types, such as an
// integer --users or a duration --connect-timeout) and then the program
// prints its usage and exits 0 instead of running.
func (b *binaries) parse(t *testing.T, inv invocation) error {
	t.Helper()
	args := append(append([]string(nil), inv.args...), "--help")
	out, err := b.run(t, inv.program, args...)
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", inv.program, strings.Join(args, " "), err, out)
	}
	if !strings.Contains(out, "Usage:") {
		return fmt.Errorf("%s %s printed no usage:\n%s", inv.program, strings.Join(args, " "), out)
	}
	return nil
}

func TestParseHelp(t *testing.T) {
	help := `Usage: loadgen coordinator --listen ADDR [flags]

Runs a load test.

Flags:
  -H, --host string                        target base URL, e.g. http://127.0.0.1:8080
  -u, --users int                          peak number of concurrent users (default 50)
      --csv-full-history[=true|false]      write every entry's rows
      --threshold stringArray              pass/fail rule, e.g. --not-a-flag in a description
      --plain                              a boolean without a type
`
	fs, err := parseHelp(help)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]flagInfo{
		"host": {takesValue: true}, "users": {takesValue: true}, "csv-full-history": {},
		"threshold": {takesValue: true}, "plain": {},
	}
	if len(fs.long) != len(want) {
		t.Errorf("parsed %d flags %v, want %d %v", len(fs.long), fs.long, len(want), want)
	}
	for name, w := range want {
		if got, ok := fs.long[name]; !ok || got != w {
			t.Errorf("--%s: got %+v (found %v), want %+v", name, got, ok, w)
		}
	}
	if fs.short["H"] != "host" || fs.short["u"] != "users" || len(fs.short) != 2 {
		t.Errorf("shorthands %v, want H=host u=users", fs.short)
	}
	if _, err := parseHelp("Usage: x\n\nNo flags here.\n"); err == nil {
		t.Error("a help without flag lines parsed without an error")
	}
}

func TestCheckArgs(t *testing.T) {
	fs := flagSet{
		long:  map[string]flagInfo{"listen": {takesValue: true}, "users": {takesValue: true}, "only-summary": {}},
		short: map[string]string{"u": "users"},
	}
	tests := []struct {
		name string
		args []string
		bad  int // problems expected
	}{
		{"flag and value", []string{"--listen", "0.0.0.0:5557"}, 0},
		{"flag=value", []string{"--listen=0.0.0.0:5557", "--users=5"}, 0},
		{"shorthand", []string{"-u", "5"}, 0},
		{"shorthand joined", []string{"-u5"}, 0},
		{"boolean", []string{"--only-summary", "--users", "5"}, 0},
		{"boolean=value", []string{"--only-summary=false"}, 0},
		{"unknown flag", []string{"--user", "5"}, 2}, // and then "5" is stray
		{"unknown flag=value", []string{"--lissen=0.0.0.0:5557"}, 1},
		{"unknown shorthand", []string{"-x"}, 1},
		{"missing value", []string{"--users"}, 1},
		{"stray argument", []string{"--only-summary", "true"}, 1},
		{"double dash", []string{"--", "x"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkArgs(fs, tt.args); len(got) != tt.bad {
				t.Errorf("checkArgs(%q) = %q, want %d problems", tt.args, got, tt.bad)
			}
		})
	}
}

func TestCheckEnv(t *testing.T) {
	fs := flagSet{long: map[string]flagInfo{"token": {takesValue: true}, "expect-workers": {takesValue: true}, "version": {}}}
	tests := []struct {
		program string
		env     []string
		bad     int
	}{
		{"loadgen", []string{"LOADGEN_TOKEN", "LOADGEN_EXPECT_WORKERS", "GOMEMLIMIT"}, 0},
		{"loadgen", []string{"LOADGEN_TOKENS"}, 1},
		{"loadgen", []string{"LOADGEN_VERSION"}, 1}, // never read from the environment
		{"loadgen", []string{"ALBUMSVC_TOKEN"}, 1},
		{"albumsvc", []string{"ALBUMSVC_TOKEN"}, 0},
		{"albumsvc", []string{"ALBUMSVC_EXPECT-WORKERS", "LOADGEN_TOKEN"}, 1}, // albumsvc keeps dashes
	}
	for _, tt := range tests {
		if got := checkEnv(tt.program, fs, tt.env); len(got) != tt.bad {
			t.Errorf("checkEnv(%s, %q) = %q, want %d problems", tt.program, tt.env, got, tt.bad)
		}
	}
}
