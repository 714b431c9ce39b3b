// Package cli is loadgen's command line: every command's flag set, where
// each setting came from (a flag, an environment variable, a profile's
// line), and the one place where those sources become a loadgen.Spec. It
// parses and checks, and never starts anything: cmd/loadgen wires what
// it returns to the engines and the outputs, and tests can read the real
// flag sets.
package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// Kind is a source of settings. Sources are listed from the lowest
// precedence to the highest: a setting given by several takes the value
// of the last.
type Kind int

// The sources of settings.
const (
	// FromDefault is a flag's default value.
	FromDefault Kind = iota
	// FromProfile is a setting the workload profile gives.
	FromProfile
	// FromConfigFile is a key of a configuration file.
	FromConfigFile
	// FromEnvironment is an environment variable.
	FromEnvironment
	// FromCommandLine is a flag on the command line.
	FromCommandLine
	// FromRequest is a field of a start request (the web UI's), which
	// wins over every other source for the run it starts.
	FromRequest
)

// Origin is where a setting's value came from, so that a mistake is
// reported where it was made.
type Origin struct {
	Kind Kind
	// Name is the flag ("--users"), the variable ("LOADGEN_USERS"), the
	// key ("users") or the request field ("users").
	Name string
	// File and Line locate a profile's or a configuration file's setting.
	File string
	Line int
}

// String names the origin for people: "--users", "environment variable
// LOADGEN_USERS", "shop.yaml:3: users".
func (o Origin) String() string {
	switch o.Kind {
	case FromEnvironment:
		return "environment variable " + o.Name
	case FromProfile, FromConfigFile:
		return o.File + ":" + strconv.Itoa(o.Line) + ": " + o.Name
	case FromRequest:
		return "request field " + o.Name
	}
	return o.Name
}

// A Layer gives values to flags that the command line left unset: the
// environment, a configuration file. Apply calls set for each value it
// has; set ignores a flag that a layer of higher precedence already set.
type Layer interface {
	Apply(fs *pflag.FlagSet, set func(flag, value string, o Origin) error) error
}

// Settings is a parsed flag set with the origin of every flag's value.
type Settings struct {
	Flags  *pflag.FlagSet
	origin map[string]Origin
}

// Parse parses args into fs, then lets each layer, from the highest
// precedence to the lowest, set the flags still unset, recording where
// each value came from. A mistake is an error that names its source;
// --help is pflag.ErrHelp.
func Parse(fs *pflag.FlagSet, args []string, layers ...Layer) (*Settings, error) {
	s := &Settings{Flags: fs, origin: map[string]Origin{}}
	if err := checkFlagValues(fs, args); err != nil {
		return s, err
	}
	if err := checkRefused(fs, args); err != nil {
		return s, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return s, err
		}
		return s, Usagef("%w (see %s --help)", err, fs.Name())
	}
	fs.Visit(func(f *pflag.Flag) { s.origin[f.Name] = Origin{Kind: FromCommandLine, Name: "--" + f.Name} })
	for _, l := range layers {
		if n, ok := l.(noter); ok {
			err := n.applyNoting(fs, func(flag string, o Origin) {
				if _, set := s.origin[flag]; !set || s.origin[flag].Kind == FromConfigFile {
					s.origin[flag] = o
				}
			})
			if err != nil {
				return s, UsageError{err}
			}
			continue
		}
		err := l.Apply(fs, func(flag, value string, o Origin) error {
			if _, set := s.origin[flag]; set {
				return nil
			}
			if err := fs.Set(flag, value); err != nil {
				return fmt.Errorf("%s=%q: %w", o, value, err)
			}
			s.origin[flag] = o
			return nil
		})
		if err != nil {
			return s, UsageError{err}
		}
	}
	return s, nil
}

// Origin returns where a flag's value came from; FromDefault when no source
// set it.
func (s *Settings) Origin(flag string) Origin {
	if o, ok := s.origin[flag]; ok {
		return o
	}
	return Origin{Kind: FromDefault, Name: "--" + flag}
}

// Given reports whether a source above the defaults set the flag.
func (s *Settings) Given(flag string) bool {
	_, ok := s.origin[flag]
	return ok
}

// Environment is the layer of environment variables PREFIX_NAME, NAME
// being the flag's name in capitals with dashes as underscores
// (LOADGEN_RUN_TIME for --run-time).
func Environment(prefix string, getenv func(string) (string, bool)) Layer {
	return envLayer{prefix, getenv}
}

type envLayer struct {
	prefix string
	getenv func(string) (string, bool)
}

func (l envLayer) Apply(fs *pflag.FlagSet, set func(flag, value string, o Origin) error) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Name == "help" || f.Name == "version" {
			return
		}
		name := EnvName(l.prefix, f.Name)
		if v, ok := l.getenv(name); ok {
			err = set(f.Name, v, Origin{Kind: FromEnvironment, Name: name})
		}
	})
	return err
}

// EnvName is the environment variable of a flag: EnvName("LOADGEN",
// "run-time") is LOADGEN_RUN_TIME.
func EnvName(prefix, flag string) string {
	return prefix + "_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// UsageError is a mistake in how loadgen was called or configured: bad
// flags, environment, profile or settings. Commands exit 2 for it.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap gives the underlying error.
func (e UsageError) Unwrap() error { return e.Err }

// Usagef is a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}
