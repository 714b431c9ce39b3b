package locust

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

type testFlags struct {
	host     string
	users    int
	headless bool
	tags     []string
}

func newTestFlags() (*pflag.FlagSet, *testFlags) {
	var f testFlags
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.StringVarP(&f.host, "host", "H", "", "")
	fs.IntVarP(&f.users, "users", "u", 50, "")
	fs.BoolVar(&f.headless, "headless", false, "")
	fs.StringSliceVar(&f.tags, "tags", []string{"default"}, "")
	return fs, &f
}

func apply(t *testing.T, fs *pflag.FlagSet, text string) error {
	t.Helper()
	settings, err := ParseConfig("locust.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return ApplyConfig(fs, settings)
}

func TestApplyConfig(t *testing.T) {
	fs, f := newTestFlags()
	if err := apply(t, fs, "host = http://h\n--users: 5\nheadless = yes\ntags = [a, b]\nusers = 7\ntags = [c]\n"); err != nil {
		t.Fatal(err)
	}
	if f.host != "http://h" || f.users != 7 || !f.headless || strings.Join(f.tags, ",") != "c" {
		t.Errorf("flags %+v: want the file's values, later lines winning", *f)
	}
	for _, name := range []string{"host", "users", "headless", "tags"} {
		if !fs.Changed(name) {
			t.Errorf("%s not marked as set", name)
		}
	}
}

// TestApplyConfigKeepsHigherSources: what the command line or the
// environment set stays; so does what a file applied before set.
func TestApplyConfigKeepsHigherSources(t *testing.T) {
	fs, f := newTestFlags()
	if err := fs.Parse([]string{"-u", "3", "--tags", "x"}); err != nil {
		t.Fatal(err)
	}
	if err := apply(t, fs, "users = 9\nhost = http://first\ntags = [y]\n"); err != nil {
		t.Fatal(err)
	}
	if err := apply(t, fs, "host = http://second\nheadless = true\n"); err != nil {
		t.Fatal(err)
	}
	if f.users != 3 || f.host != "http://first" || !f.headless || strings.Join(f.tags, ",") != "x" {
		t.Errorf("flags %+v: want users and tags from the command line, host from the first file, headless from the second", *f)
	}
}

func TestApplyConfigErrorsNameFileAndLine(t *testing.T) {
	tests := []struct{ text, want string }{
		{"host = x\nhots = y\n", `locust.conf:2: hots: unknown key; did you mean "host"?`},
		{"\nzzz = 1\n", "locust.conf:2: zzz: unknown key"},
		{"master = true\n", "locust.conf:1: master: Locust's option, not loadgen's: loadgen coordinator"},
		{"users = many\n", `locust.conf:1: users: invalid argument "many"`},
		{"headless = maybe\n", `locust.conf:1: headless: "maybe": want true, false`},
		{"host = [a, b]\n", "locust.conf:1: host: host takes one value, not a list"},
	}
	for _, tt := range tests {
		fs, _ := newTestFlags()
		err := apply(t, fs, tt.text)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.text, err, tt.want)
		}
	}
}

func TestApplyConfigEmptyList(t *testing.T) {
	fs, f := newTestFlags()
	if err := apply(t, fs, "tags = []\n"); err != nil {
		t.Fatal(err)
	}
	if len(f.tags) != 0 || !fs.Changed("tags") {
		t.Errorf("tags %q, changed %v; want an empty list, set", f.tags, fs.Changed("tags"))
	}
}
