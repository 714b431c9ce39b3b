package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/loadgen/loadgen/results/saved"
	"github.com/spf13/pflag"
)

// RunFlags are the flags of a load test, shared by every command that runs
// one. Names follow Locust's, so people switch without relearning. The
// first group describes the test and becomes its Spec; the second says
// where its results go.
type RunFlags struct {
	Host             string
	Users            int
	SpawnRate        float64
	RunTime          string
	Profile          string
	Ratio            string
	Client           string
	Wait             string
	Timeout          time.Duration
	StopTimeout      time.Duration
	Seed             uint64
	Store            string
	Warmup           time.Duration
	Rate             float64
	RateStages       string
	Arrival          string
	MaxInflight      int
	MaxLag           time.Duration
	Thresholds       []string
	AbortOnThreshold bool
	Stages           string
	Insecure         bool
	CACert           string
	Tags             []string
	ExcludeTags      []string
	// ResetStats restarts the statistics once every user has spawned.
	ResetStats bool
	// SpecFile is a Spec's JSON form that describes the whole test, in
	// place of the flags above.
	SpecFile string

	CSV             string
	CSVFullHistory  bool
	CSVPrecise      bool
	JSON            string
	OnlySummary     bool
	ExitCodeOnError int
	LogLevel        string
	PrintInterval   time.Duration
	// How the run is watched while it goes on.
	Window         time.Duration
	HDRLog         string
	HDRLogInterval time.Duration
	JSONL          string
	Metrics        string
	MetricsLinger  time.Duration
}

// Register adds the run flags to fs, in the order --help lists them.
func (f *RunFlags) Register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.Host, "host", "H", "", "target base URL, e.g. http://127.0.0.1:8080; without it an album service is started in-process on a free loopback port")
	fs.IntVarP(&f.Users, "users", "u", 50, "peak number of concurrent users")
	fs.Float64VarP(&f.SpawnRate, "spawn-rate", "r", 10, "users started per second (alias --ramp)")
	fs.StringVarP(&f.RunTime, "run-time", "t", "30s", "stop after this long: 90s, 1h20m, or a bare number of seconds")
	fs.StringVarP(&f.Profile, "profile", "f", "albums", "workload profile: a built-in name or a YAML file (alias --locustfile; a Python locustfile is refused: docs/locust.md shows how to port one)")
	fs.StringVar(&f.Ratio, "ratio", "", "task weights in profile order, e.g. 3:1 for 3 GETs per POST")
	fs.StringVar(&f.Client, "client", "fasthttp", "HTTP client: fasthttp or nethttp")
	fs.StringVar(&f.Wait, "wait", "", "wait after each task: 0, constant:1s, between:1s,2s, pacing:1s or throughput:5 (default: the profile's, else none)")
	fs.DurationVar(&f.Timeout, "timeout", 60*time.Second, "timeout of each request")
	fs.VarP(seconds{&f.StopTimeout}, "stop-timeout", "s", "at the end, how long requests in flight may take to finish: 10s, or a bare number of seconds; requests still running then are not counted")
	fs.Uint64Var(&f.Seed, "seed", 0, "seed for task choice and generated data; 0 picks one from the clock")
	fs.StringVar(&f.CSV, "csv", "", "write Locust-format CSV files PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv and PREFIX_exceptions.csv")
	fs.BoolVar(&f.CSVFullHistory, "csv-full-history", false, "write every entry's rows to the history CSV, not only the Aggregated ones")
	fs.BoolVar(&f.CSVPrecise, "csv-precise", false, "write the CSV files' median and percentile columns in milliseconds with microseconds, not Locust's whole milliseconds")
	fs.StringVar(&f.JSON, "json", "", "write the whole result, with mergeable HDR histograms, as JSON to this file")
	fs.BoolVar(&f.OnlySummary, "only-summary", false, "print only the final tables, not the live ones")
	fs.IntVar(&f.ExitCodeOnError, "exit-code-on-error", 1, "exit code when any request failed")
	fs.StringVarP(&f.LogLevel, "loglevel", "L", "INFO", "DEBUG, INFO, WARNING or ERROR")
	fs.StringVar(&f.Store, "store", "mutex", "store of the embedded album service (without --host): mutex, rwmutex, syncmap or sharded")
	fs.Float64Var(&f.Rate, "rate", 0, "open model: send R requests per second in total, on a fixed schedule, whatever the target's speed; latency counts from each request's intended send time")
	fs.StringVar(&f.RateStages, "rate-stages", "", "open model with a changing rate: DURATION:RATE,... ramping linearly from --rate (default 0), e.g. 30s:100,60s:1000,30s:0")
	fs.StringVar(&f.Arrival, "arrival", "constant", "open model arrivals: constant (evenly spaced) or poisson")
	fs.IntVar(&f.MaxInflight, "max-inflight", 0, "open model: cap on requests in flight, each with its own connection (default 10000; with --workers or a coordinator, per worker)")
	fs.DurationVar(&f.MaxLag, "max-lag", 0, "open model: a request that cannot be sent within this of its time is dropped and counted (default 1s; negative never drops)")
	fs.DurationVar(&f.Warmup, "warmup", 0, "the first part of the run that is not counted: statistics restart after it (it is part of --run-time)")
	fs.StringArrayVar(&f.Thresholds, "threshold", nil, "pass/fail rule checked at the end, e.g. 'p99<250ms', 'fail_ratio<0.01', 'rps>500', 'p95{name=\"GET /albums\"}<100ms' (repeatable; adds to the profile's)")
	fs.BoolVar(&f.ResetStats, "reset-stats", false, "reset the statistics once every user has spawned, so that they leave out the ramp")
	fs.BoolVar(&f.AbortOnThreshold, "abort-on-threshold", false, "check thresholds every second too, and stop the run as soon as one is breached")
	fs.StringVar(&f.Stages, "stages", "", "users over time instead of --users: DURATION:USERS,... each ramping linearly from the users before it, e.g. 30s:10,1m:100,30s:0 (0s steps at once); the run lasts as long as the stages")
	fs.BoolVarP(&f.Insecure, "insecure", "k", false, "accept any TLS certificate, for test targets with self-signed ones (Locust's verify=False)")
	fs.StringVar(&f.CACert, "ca-cert", "", "check HTTPS targets' certificates against the CA certificates in this PEM file instead of the system's (sent to workers with the test)")
	fs.StringSliceVarP(&f.Tags, "tags", "T", nil, "run only the profile's tasks that have one of these tags (comma-separated, or repeated)")
	fs.StringSliceVarP(&f.ExcludeTags, "exclude-tags", "E", nil, "leave out the profile's tasks that have any of these tags")
	fs.DurationVar(&f.PrintInterval, "print-interval", 2*time.Second, "how often the live table is printed")
	fs.DurationVar(&f.Window, "window", 0, "span of the current window behind the live table's, the charts' and the metrics' windowed percentiles and current rates (default 10s, Locust's)")
	fs.StringVar(&f.HDRLog, "hdr-log", "", "write an HdrHistogram interval log to this file as the run goes: one untagged line for all requests and one tagged line per entry each interval")
	fs.DurationVar(&f.HDRLogInterval, "hdr-log-interval", time.Second, "interval of the --hdr-log lines")
	fs.StringVar(&f.JSONL, "jsonl", "", "stream one JSON object per second to this file as the run goes (a row of the JSON report's history, with every entry)")
	fs.StringVar(&f.Metrics, "metrics", "", "serve Prometheus metrics at http://ADDR/metrics while the run goes on, e.g. 127.0.0.1:9464; anything but loopback needs --web-auth or a coordinator's --token")
	fs.DurationVar(&f.MetricsLinger, "metrics-linger", 30*time.Second, "after the run, keep the metrics endpoint up until it is scraped once more, at most this long, so that Prometheus sees the final numbers (0: do not wait)")
	fs.StringVar(&f.SpecFile, "spec", "", "run the test a Spec file describes (its JSON form, as compare and scale hand it to their runs) instead of the flags that describe one")
	fs.SetNormalizeFunc(normalize)
}

// LocustFlags are the flags of Locust's that a test command takes
// besides the run's own: where the settings and the log come from, and
// switches kept so that Locust's command lines run unchanged.
type LocustFlags struct {
	// Config is a config file in Locust's format, read above the
	// default ones (see ConfigFiles).
	Config string
	// LogFile receives the log instead of stderr, which then gets only
	// warnings and errors.
	LogFile string
	// Headless and PrintStats are Locust's switches for what loadgen does
	// anyway: no web UI without --web, the live table without
	// --only-summary.
	Headless   bool
	PrintStats bool
}

func (f *LocustFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Config, "config", "", "config file in Locust's format (key = value, the flags' long names); ./locust.conf and ./loadgen.conf are read too when present, below it")
	fs.StringVar(&f.LogFile, "logfile", "", "write the log to this file; stderr then gets only warnings and errors")
	fs.BoolVar(&f.Headless, "headless", false, "accepted for Locust's command lines: without --web, loadgen runs without a web UI")
	fs.BoolVar(&f.PrintStats, "print-stats", false, "accepted for Locust's command lines: the live table is printed unless --only-summary")
}

// FleetFlags are the flags of distributed runs: --workers for worker
// processes of this binary, or the coordinator command's own.
type FleetFlags struct {
	Workers    int
	Listen     string
	Expect     int
	ExpectWait time.Duration
	Token      string
	MaxWorkers int
}

func (f *FleetFlags) register(fs *pflag.FlagSet, coordinator bool) {
	if !coordinator {
		fs.IntVar(&f.Workers, "workers", 0, "run the test on N worker processes of this binary, with this process as their coordinator (the one-command form of a coordinator and N workers)")
		fs.IntVar(&f.Expect, "expect-workers", 0, "with --workers: start once this many of them have registered (default all)")
		fs.Var(seconds{&f.ExpectWait}, "expect-workers-max-wait", "with --workers: start with the workers registered after this long, e.g. 20s or 20 (default 30s)")
		return
	}
	fs.StringVar(&f.Listen, "listen", "127.0.0.1:5557", "address for the workers' control requests; anything but loopback needs --token")
	fs.IntVar(&f.Expect, "expect-workers", 1, "workers to wait for before starting; later ones join the running test")
	fs.Var(seconds{&f.ExpectWait}, "expect-workers-max-wait", "start with the workers present after this long, e.g. 20s or 20 (0: wait for all)")
	fs.StringVar(&f.Token, "token", "", "shared secret every control request must carry (also LOADGEN_TOKEN)")
	fs.IntVar(&f.MaxWorkers, "max-workers", 1000, "workers the run takes at most, lost ones included; later registrations are refused")
}

// WebFlags are the flags of the web UI, and --html, which writes the UI's
// report at the end of any run.
type WebFlags struct {
	Web       bool
	Host      string
	Port      int
	Autostart bool
	// Autoquit, when not negative, ends the program this many seconds
	// after the run --autostart started has finished.
	Autoquit int
	Auth     string
	HTML     string
}

func (f *WebFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.Web, "web", false, "serve the web UI, where runs are started, watched, edited and stopped, until Ctrl-C; the files asked for are written for the last run")
	fs.StringVar(&f.Host, "web-host", "127.0.0.1", "address of the web UI; anything but loopback needs --web-auth (or a coordinator's --token)")
	fs.IntVarP(&f.Port, "web-port", "P", 8089, "port of the web UI (0 picks a free one)")
	fs.BoolVar(&f.Autostart, "autostart", false, "with --web, start a run from the command line's flags at once and keep the UI up")
	fs.IntVar(&f.Autoquit, "autoquit", -1, "with --web --autostart, quit this many seconds after the run has finished (-1: keep the UI up until Ctrl-C)")
	fs.StringVar(&f.Auth, "web-auth", "", "user:pass that the web UI asks for (HTTP basic auth)")
	fs.StringVar(&f.HTML, "html", "", "write a self-contained HTML report (tables, charts, failures, thresholds) to this file at the end")
}

// WorkerFlags are `loadgen worker`'s flags.
type WorkerFlags struct {
	Coordinator    string
	Token          string
	ID             string
	ConnectTimeout time.Duration
	LogLevel       string
	// LogFile is --logfile, as on the main command: a Locust worker's
	// command line may carry it.
	LogFile string
}

func (f *WorkerFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Coordinator, "coordinator", "", "the coordinator's URL, e.g. http://10.0.0.5:5557")
	fs.StringVar(&f.Token, "token", "", "the coordinator's shared secret (also LOADGEN_TOKEN)")
	fs.StringVar(&f.ID, "id", "", "this worker's name in the worker table (default host-pid-random)")
	fs.DurationVar(&f.ConnectTimeout, "connect-timeout", 30*time.Second, "how long to keep trying to reach the coordinator, at start and after losing it")
	fs.StringVarP(&f.LogLevel, "loglevel", "L", "INFO", "DEBUG, INFO, WARNING or ERROR")
	fs.StringVar(&f.LogFile, "logfile", "", "write the log to this file; stderr then gets only warnings and errors")
}

// CompareFlags are `loadgen compare`'s own flags.
type CompareFlags struct {
	Clients  string
	Cooldown time.Duration
}

// ScaleFlags are `loadgen scale`'s own flags.
type ScaleFlags struct {
	Over     string
	Step     time.Duration
	Cooldown time.Duration
	HTML     string
}

// Command is one of loadgen's commands with its flags registered: parse
// it with Parse, read the values from its fields.
type Command struct {
	// Name is how the command is called: "loadgen", "loadgen worker".
	Name string
	// Usage is the help text, with %s where the flags go.
	Usage string
	// Flags is the flag set, which the fields below are bound to.
	Flags *pflag.FlagSet

	Run     RunFlags
	Fleet   FleetFlags
	Web     WebFlags
	Worker  WorkerFlags
	Locust  LocustFlags
	Compare CompareFlags
	Scale   ScaleFlags
	// Saved are the outputs of report and merge.
	Saved saved.Outputs
	// ShowVersion is --version.
	ShowVersion bool
	// ConfigDir is where the default config files are looked for; ""
	// is the current directory. ConfigFilesRead are the files Parse
	// read, for the log.
	ConfigDir       string
	ConfigFilesRead []string
	// origins are where each setting of the last Spec came from.
	origins map[string]Origin
	// coordinator and kind say which command this is.
	kind string
}

// Commands are the subcommands of loadgen; "" is the default command, a
// load test.
func Commands() []string {
	return []string{"", "coordinator", "worker", "compare", "scale", "report", "merge"}
}

// NewCommand returns a subcommand with its flags registered (see
// Commands); it fails for an unknown name.
func NewCommand(sub string) (*Command, error) {
	c := &Command{kind: sub}
	name := "loadgen"
	if sub != "" {
		name += " " + sub
	}
	c.Name = name
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	// The caller prints usage for --help, and the mistake: after one, the
	// message alone says more than a page of flags.
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	c.Flags = fs
	switch sub {
	case "":
		c.Usage = "Usage: loadgen [flags]\n       loadgen compare|scale|coordinator|worker [flags]   (each has its own --help)\n\nRuns a load test. Without --host it tests an album service started in-process.\n\nCommands:\n  compare      the same test once per HTTP client, side by side\n  scale        a scaling curve over workers, users, rate or stores, with Amdahl and USL fits\n  coordinator  a distributed test whose workers join over HTTP\n  worker       a worker of a coordinator\n\nFlags:\n%s"
		c.Run.Register(fs)
		c.Fleet.register(fs, false)
		c.Web.register(fs)
		c.Locust.register(fs)
		fs.BoolVarP(&c.ShowVersion, "version", "V", false, "print the version and exit")
	case "coordinator":
		c.Usage = "Usage: loadgen coordinator --listen ADDR --expect-workers N [flags]\n\nRuns a load test on workers that join over HTTP (loadgen worker --coordinator URL).\n\nFlags:\n%s"
		c.Run.Register(fs)
		c.Fleet.register(fs, true)
		c.Web.register(fs)
		c.Locust.register(fs)
		fs.BoolVarP(&c.ShowVersion, "version", "V", false, "print the version and exit")
	case "worker":
		c.Usage = fmt.Sprintf("Usage: loadgen worker --coordinator URL [flags]\n\nGenerates the load a coordinator asks for. It stops its users within seconds of losing the coordinator, keeps trying to reach it for --connect-timeout, then exits %d.\n\nFlags:\n%%s", ExitUnreachable)
		c.Worker.register(fs)
	case "compare":
		c.Usage = "Usage: loadgen compare [--clients nethttp,fasthttp] [run flags]\n\nRuns the same test once per HTTP client, each in its own process, and compares them.\n\nFlags:\n%s"
		fs.StringVar(&c.Compare.Clients, "clients", "nethttp,fasthttp", "clients to compare, in order")
		fs.DurationVar(&c.Compare.Cooldown, "cooldown", 2*time.Second, "pause between runs, so one run's connections and garbage do not weigh on the next")
		c.Run.Register(fs)
		fs.StringVar(&c.Web.HTML, "html", "", "write each client's HTML report to this file with the client's name added (report.html: report-nethttp.html, ...)")
		for _, name := range []string{"csv", "hdr-log", "jsonl"} {
			f := fs.Lookup(name)
			f.Usage += " (each client's run its own, with the client's name added to the name)"
		}
	case "scale":
		c.Usage = "Usage: loadgen scale --over DIM=V1,V2,... [run flags]\n\nRuns one step per value, each in its own process, fits Amdahl's law and the USL, and draws the curves.\n\nFlags:\n%s"
		fs.StringVar(&c.Scale.Over, "over", "", "the sweep: workers=1,2,4,8 | users=10,25,50 | rate=100,200,400 | store=mutex,rwmutex,syncmap,sharded")
		fs.DurationVar(&c.Scale.Step, "step", 20*time.Second, "measured steady window of each step")
		fs.DurationVar(&c.Scale.Cooldown, "cooldown", time.Second, "pause between steps")
		fs.StringVar(&c.Scale.HTML, "html", "", "write the sweep as a self-contained HTML report: steps, fits and the throughput chart")
		c.Run.Register(fs)
		w := fs.Lookup("warmup")
		w.Usage, w.DefValue = "warm-up of each step, not counted", "5s"
		c.Run.Warmup = 5 * time.Second
	case "report":
		c.Usage = "Usage: loadgen report RESULT.json [--html FILE] [--csv PREFIX]\n\nRenders a saved result (written by --json or merge) again: the tables on stdout, and the HTML report and CSV files as the run wrote them.\n\nFlags:\n%s"
		savedOutputs(fs, &c.Saved, false)
	case "merge":
		c.Usage = "Usage: loadgen merge A.json B.json ... --json OUT [--html FILE] [--csv PREFIX]\n\nMerges the results of runs that went on at the same time, as if one process had made every request: exact percentiles, summed rates, each source named.\n\nFlags:\n%s"
		savedOutputs(fs, &c.Saved, true)
	default:
		return nil, fmt.Errorf("unknown command %q", sub)
	}
	return c, nil
}

// savedOutputs registers the output flags of report and merge.
func savedOutputs(fs *pflag.FlagSet, o *saved.Outputs, json bool) {
	if json {
		fs.StringVar(&o.JSON, "json", "", "write the result as JSON to this file")
	}
	fs.StringVar(&o.HTML, "html", "", "write the HTML report to this file")
	fs.StringVar(&o.CSVPrefix, "csv", "", "write Locust's CSV files with this prefix")
	fs.BoolVar(&o.CSV.FullHistory, "csv-full-history", false, "per-entry rows in the history CSV (the result must have them)")
	fs.BoolVar(&o.CSV.Precise, "csv-precise", false, "keep the microseconds in the CSV files' times")
}

// Parse parses the command's arguments, then fills what they left unset
// from the environment (LOADGEN_<FLAG>, then Locust's LOCUST_<FLAG>) and,
// for the commands that run a test, from config files (see ConfigFiles).
func (c *Command) Parse(args []string, getenv func(string) (string, bool)) (*Settings, error) {
	layers := []Layer{Environment("LOADGEN", getenv)}
	switch c.kind {
	case "", "coordinator":
		layers = append(layers, LocustEnvironment(getenv), ConfigFiles(c.ConfigDir, &c.ConfigFilesRead))
	case "worker":
		layers = append(layers, locustWorkerEnv{getenv})
	}
	s, err := Parse(c.Flags, args, layers...)
	if err != nil {
		return s, err
	}
	if c.Flags.NArg() > 0 && c.kind != "report" && c.kind != "merge" {
		return s, Usagef("unexpected argument %q (flags start with --; Locust's user class names have no equivalent: a run has one profile, and --tags picks its tasks)", c.Flags.Arg(0))
	}
	return s, nil
}

// Help is the command's --help text.
func (c *Command) Help() string { return fmt.Sprintf(c.Usage, c.Flags.FlagUsages()) }
