//go:build race

// Package race tells whether the race detector is on. It makes sync.Pool
// drop items at random, so allocation counts mean nothing under it: tests
// that pin allocations run in the separate pass without -race that
// make test does.
package race

// Enabled is true when built with -race.
const Enabled = true
