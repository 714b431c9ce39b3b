package cli

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen/locust"
	"github.com/loadgen/loadgen/profiles"
)

// DefaultConfigFiles are the config files read when present, in the
// directory loadgen runs in, from the lowest precedence to the highest:
// Locust's, then loadgen's own. --config names one more, above both.
func DefaultConfigFiles() []string { return []string{"locust.conf", "loadgen.conf"} }

// aliases are other names of flags: Locust's names for what loadgen
// calls otherwise. A config file, an environment variable or the
// command line may use either.
func aliases() map[string]string {
	return map[string]string{"ramp": "spawn-rate", "locustfile": "profile"}
}

// normalize maps an alias to its flag's name.
func normalize(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if to, ok := aliases()[name]; ok {
		name = to
	}
	return pflag.NormalizedName(name)
}

// noter is a layer that sets flags itself and tells Parse, through note,
// which flags it set and where: a config file sets lists in ways a flag's
// Set cannot (a later line replaces an earlier one).
type noter interface {
	applyNoting(fs *pflag.FlagSet, note func(flag string, o Origin)) error
}

// ConfigFiles is the layer of config files in Locust's format (see
// locust.ParseConfig): the file --config names, which must exist, then
// those of DefaultConfigFiles present in dir, each read in order of
// precedence. Every file read is added to read, so that the run can say
// in its log which ones it read.
func ConfigFiles(dir string, read *[]string) Layer { return configLayer{dir: dir, read: read} }

type configLayer struct {
	dir  string
	read *[]string
}

// Apply is never called: Parse applies a noter through applyNoting.
func (l configLayer) Apply(fs *pflag.FlagSet, _ func(flag, value string, o Origin) error) error {
	return l.applyNoting(fs, func(string, Origin) {})
}

func (l configLayer) applyNoting(fs *pflag.FlagSet, note func(flag string, o Origin)) error {
	var files []string
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		files = append(files, f.Value.String())
	}
	defaults := DefaultConfigFiles()
	for i := len(defaults) - 1; i >= 0; i-- {
		path := filepath.Join(l.dir, defaults[i])
		if _, err := os.Stat(path); err == nil {
			files = append(files, path)
		} else if !errors.Is(err, iofs.ErrNotExist) {
			return fmt.Errorf("config file %s: %w", path, err)
		}
	}
	for _, path := range files {
		if err := applyFile(fs, path, note); err != nil {
			return err
		}
		if l.read != nil {
			*l.read = append(*l.read, path)
		}
	}
	return nil
}

// applyFile sets the flags that a config file gives and no source above
// it has set.
func applyFile(fset *pflag.FlagSet, path string, note func(flag string, o Origin)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config file: %w", err)
	}
	settings, err := locust.ParseConfig(path, data)
	if err != nil {
		return err
	}
	before := map[string]bool{}
	fset.Visit(func(f *pflag.Flag) { before[f.Name] = true })
	if err := locust.ApplyConfig(fset, settings); err != nil {
		return err
	}
	for _, s := range settings {
		if f := fset.Lookup(s.Name()); f != nil && f.Changed && !before[f.Name] {
			note(f.Name, Origin{Kind: FromConfigFile, Name: s.Key, File: path, Line: s.Line})
		}
	}
	return nil
}

// LocustEnvironment is the layer of Locust's environment variables
// (LOCUST_HOST, LOCUST_RUN_TIME ...), below loadgen's own: LOCUST_ and a
// flag's name, or an alias's (LOCUST_LOCUSTFILE). A variable of one of
// the options loadgen refuses (LOCUST_MODE_MASTER) is an error that
// names the loadgen way, never ignored.
func LocustEnvironment(getenv func(string) (string, bool)) Layer { return locustEnv{getenv} }

type locustEnv struct{ getenv func(string) (string, bool) }

func (l locustEnv) Apply(fs *pflag.FlagSet, set func(flag, value string, o Origin) error) error {
	for _, name := range locust.RefusedNames() {
		if _, ok := l.getenv(locust.EnvVar(name)); ok && fs.Lookup(name) == nil {
			instead, _ := locust.Refused(name)
			return fmt.Errorf("environment variable %s: --%s is Locust's option, not loadgen's: %s", locust.EnvVar(name), name, instead)
		}
	}
	names := map[string][]string{}
	for alias, flag := range aliases() {
		names[flag] = append(names[flag], alias)
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Name == "help" || f.Name == "version" {
			return
		}
		for _, n := range append([]string{f.Name}, names[f.Name]...) {
			env := locust.EnvVar(n)
			if v, ok := l.getenv(env); ok {
				err = set(f.Name, v, Origin{Kind: FromEnvironment, Name: env})
				return
			}
		}
	})
	return err
}

// locustWorkerEnv is the Locust environment of `loadgen worker`: the
// variables that name a Locust worker's master would otherwise be left
// unread while the worker went to another coordinator, or to none, so
// they are refused with the loadgen way. A worker takes nothing else from
// Locust's variables, as a Locust worker takes its run from its master.
type locustWorkerEnv struct{ getenv func(string) (string, bool) }

func (l locustWorkerEnv) Apply(*pflag.FlagSet, func(flag, value string, o Origin) error) error {
	for _, name := range []string{"master-host", "master-port"} {
		env := locust.EnvVar(name)
		if _, ok := l.getenv(env); ok {
			return fmt.Errorf("environment variable %s: a loadgen worker names its coordinator with --coordinator http://HOST:PORT (or LOADGEN_COORDINATOR)", env)
		}
	}
	return nil
}

// checkRefused refuses Locust's options that loadgen does not take, on
// the command line, with the loadgen way, rather than pflag's "unknown
// flag".
func checkRefused(fs *pflag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, _ := strings.Cut(a[2:], "=")
			if instead, ok := locust.Refused(name); ok && fs.Lookup(name) == nil {
				return Usagef("--%s is Locust's option, not loadgen's: %s", name, instead)
			}
		case len(a) == 2 && a[0] == '-':
			if name, instead, ok := locust.RefusedShort(a[1:]); ok && fs.ShorthandLookup(a[1:]) == nil {
				return Usagef("%s (--%s) is Locust's option, not loadgen's: %s", a, name, instead)
			}
		}
	}
	return nil
}

// seconds is a duration flag that also takes a bare number of seconds,
// as Locust's --stop-timeout 10 does.
type seconds struct{ d *time.Duration }

func (s seconds) String() string {
	if s.d == nil {
		return "0s"
	}
	return s.d.String()
}

func (s seconds) Set(v string) error {
	d, err := profiles.ParseDuration(v)
	if err != nil {
		return err
	}
	*s.d = d
	return nil
}

func (s seconds) Type() string { return "duration" }
