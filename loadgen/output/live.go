package output

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// Live prints a run's statistics while it goes on: Locust's table every
// interval (with the worker table in a distributed run), the open model's
// counts when it falls behind, and a one-line progress report when w is a
// terminal. Its Tick is a loadgen.Hooks OnTick.
type Live struct {
	w        io.Writer
	terminal bool
	total    time.Duration
	interval time.Duration
	quiet    bool

	lastTable time.Time
	// lastLate and lastDropped are the open-model counts last shown.
	lastLate, lastDropped uint64
}

// NewLive shows a run of runTime (zero: until stopped) on w, a table
// every interval; quiet shows nothing.
func NewLive(w io.Writer, terminal bool, runTime, interval time.Duration, quiet bool) *Live {
	return &Live{w: w, terminal: terminal, total: runTime, interval: interval, quiet: quiet}
}

// Tick shows one collection.
func (l *Live) Tick(t loadgen.Tick) {
	if l.quiet {
		return
	}
	s := t.Snapshot
	if s.Now.Sub(l.lastTable) >= l.interval-50*time.Millisecond {
		l.lastTable = s.Now
		if l.terminal {
			fmt.Fprint(l.w, "\r\033[K")
		}
		report.WriteStats(l.w, s, true)
		if t.Workers != nil {
			Workers(l.w, t.Workers, time.Now())
			fmt.Fprintln(l.w)
		}
	}
	if st := t.Open; st != nil && (st.Late > 0 || st.Dropped > 0) && (st.Dropped != l.lastDropped || st.Late != l.lastLate) {
		// Shown when something went wrong: requests late or dropped.
		l.lastDropped, l.lastLate = st.Dropped, st.Late
		fmt.Fprintf(l.w, "open model: %d scheduled, %d sent, %d late, %d dropped, %d in flight at most\n",
			st.Scheduled, st.Sent, st.Late, st.Dropped, st.Slots)
	}
	if l.terminal {
		fmt.Fprint(l.w, "\r\033[K")
		report.WriteProgress(l.w, s, l.total)
	}
}

// Done ends the progress line before the final tables.
func (l *Live) Done() {
	if !l.quiet && l.terminal {
		fmt.Fprint(l.w, "\r\033[K")
	}
}

// Workers prints the worker table, heartbeats shown as their age at now.
func Workers(w io.Writer, ws []results.WorkerStatus, now time.Time) error {
	if len(ws) == 0 {
		return nil
	}
	open := false
	for _, s := range ws {
		open = open || s.Open != nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if open {
		// An open-model run's "users" are its requests in flight, and its
		// dispatcher's counts say whether each worker kept to its share.
		fmt.Fprintln(tw, "Worker\tState\tIn flight\t# reqs\t# fails\treq/s\tScheduled\tLate\tDropped\tCPU %\tMemory MB\tLast heartbeat\t")
	} else {
		fmt.Fprintln(tw, "Worker\tState\tUsers\t# reqs\t# fails\treq/s\tCPU %\tMemory MB\tLast heartbeat\t")
	}
	for _, s := range ws {
		last := "-"
		if !s.LastHeartbeat.IsZero() {
			last = now.Sub(s.LastHeartbeat).Round(100*time.Millisecond).String() + " ago"
		}
		state := s.State
		if s.Error != "" {
			state += " (" + s.Error + ")"
		}
		if open {
			var st results.OpenStats
			if s.Open != nil {
				st = *s.Open
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%d\t%d\t%d\t%.0f\t%.1f\t%s\t\n", s.ID, state, s.Users, s.Requests, s.Failures, s.RPS,
				st.Scheduled, st.Late, st.Dropped, s.CPUPercent, float64(s.RSSBytes)/(1<<20), last)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%.1f\t%.0f\t%.1f\t%s\t\n", s.ID, state, s.Users, s.Requests, s.Failures, s.RPS,
			s.CPUPercent, float64(s.RSSBytes)/(1<<20), last)
	}
	return tw.Flush()
}
