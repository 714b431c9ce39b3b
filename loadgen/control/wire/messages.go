// Package wire is the coordinator-worker control protocol, version 1:
// its messages, their validation and strict JSON form, the shared token,
// and the protocol's limits (docs/protocol.md). The coordinator and the
// worker in package control both speak it, and nothing else does.
package wire

import (
	"net/url"
	"strconv"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/profiles"
)

// ProtocolVersion is the "v" of every control message. A coordinator and
// a worker refuse each other's messages of another version rather than
// guess at fields they might misread. Paths carry it too (/v1/...).
const ProtocolVersion = 1

// The control API's paths (see docs/protocol.md).
const (
	PathRegister  = "/v1/register"
	PathHeartbeat = "/v1/heartbeat"
	PathReport    = "/v1/report"
	PathCommands  = "/v1/commands"
)

// Body size caps. A report carries a second of HDR histograms, which for
// many entries reaches megabytes; every other message is small. Bodies
// over a cap are refused with 413 before they are decoded.
const (
	MaxReportBytes  = 8 << 20
	MaxMessageBytes = 64 << 10
	// MaxCommandBytes caps a command as the worker reads it: a spawn
	// command carries the profile, which may be up to 1 MiB of YAML, and
	// its data files, up to profiles.MaxDataSize, which JSON may escape
	// to twice their size.
	MaxCommandBytes = 4<<20 + 2*profiles.MaxDataSize
)

// Limits on the values in messages, so that a hostile or broken peer
// cannot make the other side allocate or loop without bound.
const (
	// MaxIDLen bounds worker and run ids.
	MaxIDLen = 128
	// MaxTextLen bounds free texts: host names, versions, errors.
	MaxTextLen = 1024
	maxUsers   = 10_000_000
	maxSpawnHz = 1e6
	maxCores   = 1 << 16
	maxNameLen = 32

	// MaxHeartbeat bounds the heartbeat interval a coordinator may set.
	MaxHeartbeat = time.Minute
	// MaxMissedHeartbeats bounds the heartbeats a coordinator may wait for.
	MaxMissedHeartbeats = 1000
)

// WorkerState is where a worker is: what its heartbeats say, or what the
// coordinator concluded about it.
type WorkerState string

// Worker states, as a worker reports them in its heartbeat.
const (
	StateReady        WorkerState = "ready"        // registered, no users
	StateSpawning     WorkerState = "spawning"     // ramping towards its target
	StateRunning      WorkerState = "running"      // at its target
	StateStopping     WorkerState = "stopping"     // users finishing their tasks
	StateStopped      WorkerState = "stopped"      // users gone, final report due or sent
	StateFailed       WorkerState = "failed"       // could not run the spec (see Heartbeat.Error)
	StateQuit         WorkerState = "quit"         // leaving: its users are to be handed over now
	StateDisconnected WorkerState = "disconnected" // lost its coordinator; never sent, only shown locally
)

// States the coordinator gives a worker in its table, never sent by one.
const (
	// StateMissing is a worker that missed MissedHeartbeats heartbeats.
	StateMissing WorkerState = "missing"
	// StateLeft is a worker that said it was quitting before the run ended.
	StateLeft WorkerState = "left"
)

// Sendable reports whether a worker may report s in a heartbeat.
func (s WorkerState) Sendable() bool {
	switch s {
	case StateReady, StateSpawning, StateRunning, StateStopping, StateStopped, StateFailed, StateQuit:
		return true
	}
	return false
}

// CommandKind says what a command asks of a worker.
type CommandKind string

// Command kinds.
const (
	CommandSpawn CommandKind = "spawn"
	CommandStop  CommandKind = "stop"
	CommandQuit  CommandKind = "quit"
)

// RegisterRequest is a worker's first message (POST /v1/register), sent
// again whenever it has lost the coordinator.
type RegisterRequest struct {
	V int `json:"v"`
	// ID names the worker for the whole life of its process; a
	// registration with a known ID is the same worker coming back.
	ID      string `json:"id"`
	Host    string `json:"host"`
	Version string `json:"version"`
	Cores   int    `json:"cores"`
	PID     int    `json:"pid"`
}

// RegisterResponse tells a worker how often to heartbeat and report.
type RegisterResponse struct {
	V           int    `json:"v"`
	ID          string `json:"id"`
	Version     string `json:"version"`
	HeartbeatMS int64  `json:"heartbeat_ms"`
	ReportMS    int64  `json:"report_ms"`
	// MissedHeartbeats is how many heartbeat intervals without contact make
	// the coordinator give the worker's users to others, and the worker
	// stop them.
	MissedHeartbeats int `json:"missed_heartbeats"`
}

// HeartbeatRequest is a worker's sign of life (POST /v1/heartbeat).
type HeartbeatRequest struct {
	V     int         `json:"v"`
	ID    string      `json:"id"`
	State WorkerState `json:"state"`
	Users int         `json:"users"`
	// CPUPercent is the worker process's CPU use since its previous
	// heartbeat; 100 is one core.
	CPUPercent float64 `json:"cpu_percent"`
	// RSSBytes is the worker process's resident memory.
	RSSBytes uint64 `json:"rss_bytes"`
	// Error says why a worker is in StateFailed.
	Error string `json:"error,omitempty"`
	// Open is the dispatcher's counts of a worker in an open-model run,
	// cumulative over its part in the run; absent in other runs.
	Open *OpenCounts `json:"open,omitempty"`
}

// MaxSeqGap is how far above the last report a coordinator applied from
// a worker (0 before the first) it takes the next one's Seq: a worker
// numbers its reports of a run from 1 and skips a number only for a
// report that was refused, so anything further is forged, and would
// make the coordinator drop the worker's real reports as repeats.
const MaxSeqGap = 1000

// ReportRequest is the metadata of a statistics report. It travels in
// the query string of POST /v1/report (see Query), and the body is the
// results.Delta JSON of what the worker measured since its previous
// acknowledged report, with its own "version". Keeping the metadata out of
// the body lets the coordinator parse the body, the bulk of all control
// traffic, exactly once.
type ReportRequest struct {
	ID  string
	Run string
	// Seq numbers the worker's reports from 1. A worker sends the same
	// report with the same Seq until it is acknowledged, and the
	// coordinator applies a Seq at most once, so a retried report is never
	// counted twice.
	Seq uint64
	// Final marks the report sent after the worker's users stopped: the
	// last one of the run.
	Final bool
}

// Query returns the path and query string of the report:
// /v1/report?v=1&worker=ID&run=RUN&seq=N&final=0|1.
func (m ReportRequest) Query() string {
	q := url.Values{}
	q.Set("v", strconv.Itoa(ProtocolVersion))
	q.Set("worker", m.ID)
	q.Set("run", m.Run)
	q.Set("seq", strconv.FormatUint(m.Seq, 10))
	final := "0"
	if m.Final {
		final = "1"
	}
	q.Set("final", final)
	return PathReport + "?" + q.Encode()
}

// ReportResponse acknowledges a report. Applied is false for a duplicate,
// or for a report of another run, which the coordinator drops.
type ReportResponse struct {
	V       int    `json:"v"`
	Seq     uint64 `json:"seq"`
	Applied bool   `json:"applied"`
}

// Command is what the coordinator wants a worker to do, answered to its
// long poll (GET /v1/commands?worker=ID&after=SEQ). Commands are states,
// not steps: each one says the whole of what the worker should be doing,
// so only the newest matters and a worker ignores any Seq it has already
// passed.
type Command struct {
	V    int         `json:"v"`
	Seq  uint64      `json:"seq"`
	Kind CommandKind `json:"kind"`
	Run  string      `json:"run"`
	// Users is the worker's absolute user target (spawn).
	Users int `json:"users,omitempty"`
	// Rate is this worker's share of the fleet's spawn rate, in users per
	// second; 0 starts or retires them all at once.
	Rate float64 `json:"rate,omitempty"`
	// FirstID numbers the worker's users from FirstID+1, so that user IDs
	// are distinct across the fleet.
	FirstID int `json:"first_id,omitempty"`
	// Place is the worker's place among the fleet's workers at this
	// split (spawn with users, when there are several workers): the
	// fleet's users k with k mod Workers == Index are its, which decides
	// their user classes and their per-user data rows.
	Place *Place `json:"place,omitempty"`
	// Spec is what the users run (spawn only), in its worker form
	// (loadgen.Spec.ForWorker).
	Spec *loadgen.Spec `json:"spec,omitempty"`
	// Open is the worker's share of an open-model run's schedule (spawn),
	// or the point where the schedule ends (stop). A spawn of an
	// open-model run has it instead of Users and Rate.
	Open *OpenShare `json:"open,omitempty"`
}

// Place is a worker's place in a split of the fleet's users: worker Index
// (from 0) of Workers.
type Place struct {
	Index   int `json:"index"`
	Workers int `json:"workers"`
}

// ErrorResponse is the body of every 4xx and 5xx answer.
type ErrorResponse struct {
	V     int    `json:"v"`
	Error string `json:"error"`
}
