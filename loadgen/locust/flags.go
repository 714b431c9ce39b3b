package locust

import (
	"slices"
	"strings"
)

// refused are Locust's options that loadgen does not take, each with what
// to do instead. They are refused rather than ignored: a habit that does
// not carry over must fail loudly, never change a test in silence.
var refused = map[string]string{
	"master":               "loadgen coordinator --expect-workers N runs the coordinator, or --workers N starts N worker processes on this machine",
	"worker":               "loadgen worker --coordinator http://HOST:5557 runs a worker",
	"slave":                "loadgen worker --coordinator http://HOST:5557 runs a worker",
	"master-host":          "loadgen worker --coordinator http://HOST:PORT names its coordinator",
	"master-port":          "loadgen worker --coordinator http://HOST:PORT names its coordinator",
	"master-bind-host":     "loadgen coordinator --listen HOST:PORT sets where workers connect",
	"master-bind-port":     "loadgen coordinator --listen HOST:PORT sets where workers connect",
	"list":                 "a profile's tasks are in its YAML file; built-in profiles: albums, albums-by-id, smoke",
	"show-task-ratio":      "the web UI's ratio tab and GET /tasks show the task ratio",
	"show-task-ratio-json": "the web UI's GET /tasks gives the task ratio as JSON",
	"class-picker":         "the web UI's start form takes a profile",
	"tls-cert":             "serve the web UI behind a TLS-terminating proxy; it listens on 127.0.0.1 by default",
	"tls-key":              "serve the web UI behind a TLS-terminating proxy; it listens on 127.0.0.1 by default",
	"skip-log-setup":       "loadgen logs to stderr, or to --logfile",
	"equal-weights":        "--ratio 1:1 (one 1 per task) gives every task the same weight",
	"enable-rebalancing":   "loadgen always rebalances users when workers join or leave",
	"hatch-rate":           "--spawn-rate (-r) is the users started per second",
	"headful":              "--web serves the web UI",
	"step-load":            "--rate-stages shapes an open-model run over time",
	"step-users":           "--rate-stages shapes an open-model run over time",
	"step-clients":         "--rate-stages shapes an open-model run over time",
	"step-time":            "--rate-stages shapes an open-model run over time",
	"expect-slaves":        "--expect-workers N waits for N workers",
}

// Refused reports whether name (a long option without its dashes) is one
// of Locust's options that loadgen does not take, and if so what to do
// instead, for a message such as
//
//	--master is Locust's; loadgen coordinator --expect-workers N runs ...
func Refused(name string) (instead string, ok bool) {
	instead, ok = refused[strings.TrimPrefix(name, "--")]
	return instead, ok
}

// RefusedNames are the options Refused refuses, sorted.
func RefusedNames() []string {
	names := make([]string, 0, len(refused))
	for n := range refused {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// refusedShort are the one-letter forms of refused options.
var refusedShort = map[string]string{"l": "list"}

// RefusedShort is Refused for a one-letter option ("-l"), with the long
// name it stands for.
func RefusedShort(letter string) (name, instead string, ok bool) {
	name, ok = refusedShort[strings.TrimPrefix(letter, "-")]
	if !ok {
		return "", "", false
	}
	return name, refused[name], true
}

// envExceptions are the environment variables of Locust's options whose
// names are not LOCUST_ and the option's name.
var envExceptions = map[string]string{
	"class-picker": "LOCUST_USERCLASS_PICKER",
	"master":       "LOCUST_MODE_MASTER",
	"worker":       "LOCUST_MODE_WORKER",
	"master-host":  "LOCUST_MASTER_NODE_HOST",
	"master-port":  "LOCUST_MASTER_NODE_PORT",
}

// EnvVar is the environment variable Locust reads an option from:
// LOCUST_ and the option's name in capitals with dashes as underscores
// (LOCUST_RUN_TIME for run-time), but for a few of Locust's own
// (LOCUST_MODE_MASTER for master).
func EnvVar(option string) string {
	option = strings.TrimPrefix(option, "--")
	if v, ok := envExceptions[option]; ok {
		return v
	}
	return "LOCUST_" + strings.ToUpper(strings.ReplaceAll(option, "-", "_"))
}
