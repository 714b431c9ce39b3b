package locust

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/internal/suggest"
)

// ApplyConfig sets the flags of fs from a config file's settings, as
// Locust applies its config files: a key is a long flag name, a switch
// takes true, yes or 1 and false, no or 0, and a list ("[a, b]") sets a
// flag that takes several values. A flag already set (on the command line,
// from the environment, or by a config file applied before with a higher
// precedence) keeps its value; within the file, a later line wins over an
// earlier one. Every mistake is an error that names the file and the
// line: an unknown key (with the flag it was probably meant to be), one
// of Locust's options that loadgen does not take (with the loadgen way),
// a value the flag does not accept.
func ApplyConfig(fs *pflag.FlagSet, settings []Setting) error {
	mine := map[string]bool{} // flags this file has set
	for _, s := range settings {
		name := s.Name()
		f := fs.Lookup(name)
		if f == nil {
			if instead, ok := Refused(name); ok {
				return s.Errorf("Locust's option, not loadgen's: %s", instead)
			}
			msg := "unknown key"
			if near := suggest.Closest(name, flagNames(fs)); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			return s.Errorf("%s", msg)
		}
		if f.Changed && !mine[f.Name] {
			continue
		}
		if mine[f.Name] {
			// A later line replaces an earlier one, lists included.
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				if err := sv.Replace(nil); err != nil {
					return s.Errorf("%v", err)
				}
			}
		}
		if err := setFlag(fs, f, s); err != nil {
			return err
		}
		mine[f.Name] = true
	}
	return nil
}

func setFlag(fs *pflag.FlagSet, f *pflag.Flag, s Setting) error {
	values := []string{s.Value}
	_, isSlice := f.Value.(pflag.SliceValue)
	switch {
	case f.Value.Type() == "bool":
		switch strings.ToLower(s.Value) {
		case "true", "yes", "1":
			values[0] = "true"
		case "false", "no", "0":
			values[0] = "false"
		default:
			return s.Errorf("%q: want true, false, yes, no, 1 or 0", s.Value)
		}
	case s.IsList() && isSlice:
		values = s.List
	case s.IsList():
		return s.Errorf("%s takes one value, not a list", f.Name)
	}
	if isSlice && len(values) == 0 {
		// "tags = []" sets the list empty.
		if err := f.Value.(pflag.SliceValue).Replace(nil); err != nil {
			return s.Errorf("%v", err)
		}
		f.Changed = true
		return nil
	}
	for _, v := range values {
		if err := fs.Set(f.Name, v); err != nil {
			return s.Errorf("%v", err)
		}
	}
	return nil
}

func flagNames(fs *pflag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	return names
}
