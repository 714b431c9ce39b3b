// Package results records request measurements and turns them into the
// statistics loadgen reports: per-entry counts, failures, latency
// distributions in HDR histograms, rates, errors and a per-second history.
//
// The data flows one way:
//
//	user goroutine ──Success/Failure──▶ Recorder ──Drain──▶ Delta ──Add──▶ Aggregator ──Snapshot──▶ renderers
//
// A Recorder belongs to one simulated user. Its hot path appends a small
// sample to a per-recorder buffer under a mutex that only the draining
// goroutine also takes, so users never contend with one another, and it
// allocates nothing once its buffers have grown to the user's request rate.
// A Delta holds one interval's measurements in sparse histograms; it merges
// exactly and encodes to JSON, so a worker process can ship it to a
// coordinator. An Aggregator, owned by one goroutine, accumulates deltas,
// closes one-second intervals and produces immutable Snapshots that other
// goroutines may read freely.
//
// Every histogram in the project shares one geometry (see NewHistogram), so
// any two of them merge without loss, and percentiles are always asked for
// as fractions between 0 and 1 (see EntryStats.Percentile).
package results
