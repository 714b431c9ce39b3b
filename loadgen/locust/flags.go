package locust

import "strings"

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
