// Package control runs one load test on several worker processes: a
// Coordinator that splits the users, commands the workers and merges
// their statistics exactly, and a Worker that runs its share of the users
// and reports what they measured. They talk plain HTTP and JSON, versioned
// (/v1/..., "v":1 in every message), as docs/protocol.md describes.
//
// Workers connect to the coordinator, never the reverse, so they can sit
// behind NAT or scale up and down freely: each registers, heartbeats every
// second, reports its statistics every second as a results.Delta (HDR
// histograms included, so percentiles merge exactly), and long-polls for
// commands. Commands are absolute states (run this many users at this
// rate, stop, quit) with sequence numbers, so a repeated or stale one is
// harmless. Reports carry sequence numbers too, so a retried report is
// counted once.
//
// A run can also be an open-model one (RunSpec.Open): the workers share
// an arrival rate instead of users, each sending its share from a common
// origin, phase-shifted so that together they send exactly one
// generator's schedule, and the shares are split again when workers come
// and go.
//
// Failures are expected. A worker that misses three heartbeats is marked
// missing; what it reported is kept and its users go to the others at the
// spawn rate. A worker that cannot reach its coordinator for three
// heartbeat intervals stops its users, so no load runs unwatched, then
// tries to register again until its connect timeout. Every control
// request carries a shared token, compared in constant time; ListenCheck
// keeps a coordinator without one on loopback.
//
// The protocol itself (messages, their validation, the token, the
// version) is package wire; this package is its two sides. It parses no
// flags and prints nothing: callers pass configurations, a logger, and get
// results back.
package control
