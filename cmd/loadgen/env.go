package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// applyEnv sets every flag that was not given on the command line from its
// environment variable, PREFIX_NAME with dashes as underscores, so a command
// line always wins over the environment.
func applyEnv(fs *pflag.FlagSet, prefix string, getenv func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" || f.Name == "version" {
			return
		}
		name := envName(prefix, f.Name)
		v, ok := getenv(name)
		if !ok {
			return
		}
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("environment variable %s=%q: %w", name, v, serr)
		}
	})
	return err
}

func envName(prefix, flag string) string {
	return prefix + "_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
