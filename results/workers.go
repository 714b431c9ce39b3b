package results

import "time"

// WorkerStatus is one row of a distributed run's worker table: what the
// coordinator knows of one worker, for the live table, the reports and
// the web UI.
type WorkerStatus struct {
	ID      string `json:"id"`
	Host    string `json:"host"`
	Version string `json:"version"`
	PID     int    `json:"pid"`
	Cores   int    `json:"cores"`
	// State is what the worker last reported (ready, spawning, running,
	// stopping, stopped, failed, quit) or what the coordinator concluded
	// (missing, left); docs/protocol.md lists them.
	State string `json:"state"`
	// Users is the worker's user count in its last heartbeat; Target is
	// the count the coordinator last asked for.
	Users  int `json:"users"`
	Target int `json:"target"`
	// Requests and Failures count everything the coordinator merged from
	// this worker.
	Requests int64 `json:"requests"`
	Failures int64 `json:"failures"`
	// RPS is requests per second over the last collections (up to 10 s).
	RPS        float64 `json:"rps"`
	CPUPercent float64 `json:"cpu_percent"`
	RSSBytes   uint64  `json:"rss_bytes"`
	// Joined is the worker's first registration; LastHeartbeat is its most
	// recent sign of life.
	Joined        time.Time `json:"joined"`
	LastHeartbeat time.Time `json:"last_heartbeat"`
	// Error says why a worker failed.
	Error string `json:"error,omitempty"`
	// Open is the worker's open-model dispatcher counts as of its latest
	// heartbeat; nil in a run with users.
	Open *OpenStats `json:"open_model,omitempty"`
}
