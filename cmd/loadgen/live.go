package main

import (
	"fmt"
	"time"

	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// live prints the statistics while a run goes on: Locust's table every
// interval, and a one-line progress report when stderr is a terminal.
type live struct {
	e         env
	total     time.Duration
	interval  time.Duration
	quiet     bool
	lastTable time.Time
	// fleet, in distributed runs, gives the live worker table.
	fleet *fleet
	// lastLate and lastDropped are the open-model counts last shown.
	lastLate, lastDropped uint64
}

func newLive(e env, p *testPlan, interval time.Duration) *live {
	return &live{e: e, total: p.runTime, interval: interval, quiet: p.flags.OnlySummary}
}

func (l *live) tick(s *results.Snapshot) {
	if l.quiet {
		return
	}
	if s.Now.Sub(l.lastTable) >= l.interval-50*time.Millisecond {
		l.lastTable = s.Now
		if l.e.isTerminal {
			fmt.Fprint(l.e.stderr, "\r\033[K")
		}
		report.WriteStats(l.e.stderr, s, true)
		if l.fleet != nil && l.fleet.coord != nil {
			writeWorkers(l.e.stderr, l.fleet.coord.Workers())
			fmt.Fprintln(l.e.stderr)
		}
	}
	if l.fleet != nil && l.fleet.coord != nil {
		// A distributed open-model run's counts, summed over the workers'
		// heartbeats, shown as a run in one process shows its own.
		if st, ok := l.fleet.coord.OpenStats(); ok {
			l.openStats(st)
		}
	}
	if l.e.isTerminal {
		fmt.Fprint(l.e.stderr, "\r\033[K")
		report.WriteProgress(l.e.stderr, s, l.total)
	}
}

// openStats shows an open-model run's dispatcher counts when something
// went wrong: requests late or dropped.
func (l *live) openStats(st users.OpenStats) {
	if l.quiet || (st.Late == 0 && st.Dropped == 0) {
		return
	}
	if st.Dropped != l.lastDropped || st.Late != l.lastLate {
		l.lastDropped, l.lastLate = st.Dropped, st.Late
		fmt.Fprintf(l.e.stderr, "open model: %d scheduled, %d sent, %d late, %d dropped, %d in flight at most\n",
			st.Scheduled, st.Sent, st.Late, st.Dropped, st.Slots)
	}
}

// done ends the progress line before the final tables.
func (l *live) done() {
	if !l.quiet && l.e.isTerminal {
		fmt.Fprint(l.e.stderr, "\r\033[K")
	}
}
