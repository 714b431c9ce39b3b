package main

import (
	"fmt"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/cli"
)

// runFlags are the flags of a load test.
type runFlags = cli.RunFlags

// runSeed is --seed, or one from the clock when it is 0. The runs of a
// comparison or a sweep share it, so that they choose the same tasks and
// bodies.
func runSeed(f *runFlags) uint64 { return loadgen.SeedOr(f.Seed) }

// usageError is a mistake in how loadgen was called: exit code 2.
type usageError = cli.UsageError

func usagef(format string, args ...any) error {
	return usageError{Err: fmt.Errorf(format, args...)}
}

// parseCommand parses a command's arguments; done is set when there is
// nothing more to do (--help, a mistake).
func parseCommand(e env, sub string, args []string) (c *cli.Command, set *cli.Settings, done bool, err error) {
	if c, err = cli.NewCommand(sub); err != nil {
		return nil, nil, true, err
	}
	set, err = c.Parse(args, e.getenv)
	switch {
	case isHelp(err):
		fmt.Fprint(e.stderr, c.Help())
		return c, set, true, nil
	case err != nil:
		return c, set, true, err
	}
	return c, set, false, nil
}

// usageCode is the exit code of a command that ended while parsing: a
// mistake, or --help.
func usageCode(err error) int {
	if err != nil {
		return exitUsage
	}
	return exitOK
}
