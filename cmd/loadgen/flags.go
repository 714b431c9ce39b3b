package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"
)

// runFlags are the flags of a load test, shared by every subcommand that
// runs one. Names follow Locust's, so people switch without relearning.
type runFlags struct {
	host          string
	users         int
	spawnRate     float64
	runTime       string
	profile       string
	ratio         string
	client        string
	wait          string
	timeout       time.Duration
	stopTimeout   time.Duration
	seed          uint64
	csvPrefix     string
	csvFull       bool
	csvPrecise    bool
	jsonFile      string
	onlySummary   bool
	exitOnError   int
	loglevel      string
	store         string
	printInterval time.Duration
	warmup        time.Duration
	rate          float64
	rateStages    string
	arrival       string
	maxInflight   int
	maxLag        time.Duration
	thresholds    []string
	abortOnThresh bool
}

func (f *runFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.host, "host", "H", "", "target base URL, e.g. http://127.0.0.1:8080; without it an album service is started in-process on a free loopback port")
	fs.IntVarP(&f.users, "users", "u", 50, "peak number of concurrent users")
	fs.Float64VarP(&f.spawnRate, "spawn-rate", "r", 10, "users started per second (alias --ramp)")
	fs.StringVarP(&f.runTime, "run-time", "t", "30s", "stop after this long: 90s, 1h20m, or a bare number of seconds")
	fs.StringVar(&f.profile, "profile", "albums", "workload profile: a built-in name or a YAML file")
	fs.StringVar(&f.ratio, "ratio", "", "task weights in profile order, e.g. 3:1 for 3 GETs per POST")
	fs.StringVar(&f.client, "client", "fasthttp", "HTTP client: fasthttp or nethttp")
	fs.StringVar(&f.wait, "wait", "", "wait after each task: 0, constant:1s, between:1s,2s, pacing:1s or throughput:5 (default: the profile's, else none)")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "timeout of each request")
	fs.DurationVar(&f.stopTimeout, "stop-timeout", 0, "at the end, how long requests in flight may take to finish; requests still running then are not counted")
	fs.Uint64Var(&f.seed, "seed", 0, "seed for task choice and generated data; 0 picks one from the clock")
	fs.StringVar(&f.csvPrefix, "csv", "", "write Locust-format CSV files PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv and PREFIX_exceptions.csv")
	fs.BoolVar(&f.csvFull, "csv-full-history", false, "write every entry's rows to the history CSV, not only the Aggregated ones")
	fs.BoolVar(&f.csvPrecise, "csv-precise", false, "write the CSV files' median and percentile columns in milliseconds with microseconds, not Locust's whole milliseconds")
	fs.StringVar(&f.jsonFile, "json", "", "write the whole result, with mergeable HDR histograms, as JSON to this file")
	fs.BoolVar(&f.onlySummary, "only-summary", false, "print only the final tables, not the live ones")
	fs.IntVar(&f.exitOnError, "exit-code-on-error", 1, "exit code when any request failed")
	fs.StringVarP(&f.loglevel, "loglevel", "L", "INFO", "DEBUG, INFO, WARNING or ERROR")
	fs.StringVar(&f.store, "store", "mutex", "store of the embedded album service (without --host): mutex, rwmutex, syncmap or sharded")
	fs.Float64Var(&f.rate, "rate", 0, "open model: send R requests per second in total, on a fixed schedule, whatever the target's speed; latency counts from each request's intended send time")
	fs.StringVar(&f.rateStages, "rate-stages", "", "open model with a changing rate: DURATION:RATE,... ramping linearly from --rate (default 0), e.g. 30s:100,60s:1000,30s:0")
	fs.StringVar(&f.arrival, "arrival", "constant", "open model arrivals: constant (evenly spaced) or poisson")
	fs.IntVar(&f.maxInflight, "max-inflight", 0, "open model: cap on requests in flight, each with its own connection (default 10000; with --workers or a coordinator, per worker)")
	fs.DurationVar(&f.maxLag, "max-lag", 0, "open model: a request that cannot be sent within this of its time is dropped and counted (default 1s; negative never drops)")
	fs.DurationVar(&f.warmup, "warmup", 0, "the first part of the run that is not counted: statistics restart after it (it is part of --run-time)")
	fs.StringArrayVar(&f.thresholds, "threshold", nil, "pass/fail rule checked at the end, e.g. 'p99<250ms', 'fail_ratio<0.01', 'rps>500', 'p95{name=\"GET /albums\"}<100ms' (repeatable; adds to the profile's)")
	fs.BoolVar(&f.abortOnThresh, "abort-on-threshold", false, "check thresholds every second too, and stop the run as soon as one is breached")
	fs.DurationVar(&f.printInterval, "print-interval", 2*time.Second, "how often the live table is printed")
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "ramp" {
			name = "spawn-rate"
		}
		return pflag.NormalizedName(name)
	})
}

// runSeed is --seed, or one from the clock when it is 0. The runs of a
// comparison or a sweep share it, so that they choose the same tasks and
// bodies.
func (f runFlags) runSeed() uint64 {
	if f.seed != 0 {
		return f.seed
	}
	return uint64(time.Now().UnixNano())
}

// usageError is a mistake in how loadgen was called: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// parseFlags parses args into a new flag set, then fills what the command
// line left unset from the environment.
func parseFlags(name string, args []string, getenv func(string) (string, bool), stderr io.Writer, register func(fs *pflag.FlagSet)) (*pflag.FlagSet, error) {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	// The caller prints usage for --help; after a mistake, the message
	// alone says more than a page of flags.
	fs.Usage = func() {}
	register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return fs, err
		}
		return fs, usageError{fmt.Errorf("%w (see %s --help)", err, name)}
	}
	if err := applyEnv(fs, "LOADGEN", getenv); err != nil {
		return fs, usageError{err}
	}
	return fs, nil
}
