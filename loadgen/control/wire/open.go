package wire

import (
	"errors"
	"fmt"
	"time"

	"github.com/loadgen/loadgen/internal/jsonhttp"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/results"
)

// OpenShare is one worker's part of an open-model run's schedule. In a
// spawn command it says: from At on, send share Index of Workers of the
// spec's rate, timed from Start. In a stop command only At counts: the
// schedule ends there.
type OpenShare struct {
	// Start is the schedule's origin, the same instant for every worker,
	// so that their shares interleave. Each worker reads it on its own
	// clock: on one machine that is exact, across machines it is off by
	// their clocks' difference.
	Start time.Time `json:"start,omitzero"`
	// At is the point of the schedule, as elapsed time from Start, from
	// which this share applies (spawn) or at which the schedule ends
	// (stop). Arrivals before it belong to earlier shares.
	At time.Duration `json:"at_ns,omitzero"`
	// Index and Workers place the share: the rate divided by Workers, and
	// constant arrivals shifted by Index/Workers of an interval, so that
	// the shares together send the requests of one generator's schedule.
	Index   int `json:"index,omitzero"`
	Workers int `json:"workers,omitzero"`
	// Seed draws the share's Poisson arrivals.
	Seed uint64 `json:"seed,omitzero,string"`
}

// UnmarshalJSON reads a share strictly, its start in UTC: a start sent
// with another offset is the same instant, and reads back the same.
func (s *OpenShare) UnmarshalJSON(data []byte) error {
	type plain OpenShare
	var p plain
	if err := jsonhttp.DecodeStrict(data, &p); err != nil {
		return err
	}
	*s = OpenShare(p)
	if !s.Start.IsZero() {
		s.Start = s.Start.UTC()
	}
	return nil
}

// maxWorkers bounds a share's worker count.
const maxWorkers = 1 << 20

func (s *OpenShare) validateSpawn() error {
	switch {
	case s.Start.IsZero():
		return errors.New("open share without a start")
	case s.At < 0:
		return fmt.Errorf("open share at %v is negative", s.At)
	case s.Workers < 1 || s.Workers > maxWorkers:
		return fmt.Errorf("open share of %d workers is out of range", s.Workers)
	case s.Index < 0 || s.Index >= s.Workers:
		return fmt.Errorf("open share index %d is not below its %d workers", s.Index, s.Workers)
	}
	return nil
}

// OpenCounts is a worker's open-model dispatcher counts on the wire, in
// its heartbeats: results.OpenStats with durations in nanoseconds. The counts
// are cumulative over the worker's part in the run, so a lost heartbeat
// loses nothing and the newest one is always the whole story.
type OpenCounts struct {
	Scheduled   uint64 `json:"scheduled"`
	Sent        uint64 `json:"sent"`
	Late        uint64 `json:"late"`
	Dropped     uint64 `json:"dropped"`
	Saturated   uint64 `json:"saturated"`
	Abandoned   uint64 `json:"abandoned"`
	MaxLateNS   int64  `json:"max_late_ns"`
	Slots       int    `json:"slots"`
	MaxInFlight int    `json:"max_inflight"`
	MaxLagNS    int64  `json:"max_lag_ns"`
	LateAfterNS int64  `json:"late_after_ns"`
	// ThroughNS is the point of the schedule, on the worker's clock, that
	// the counts reach: where the worker's schedule ended, or where it was
	// when they were taken. A coordinator that loses the worker counts its
	// share as unsent from there, or from the heartbeat's arrival if that
	// is earlier. Zero (or absent) leaves only the heartbeat's arrival.
	ThroughNS int64 `json:"through_ns,omitempty"`
}

// CountsOf puts a worker's dispatcher counts on the wire, with the point
// of the schedule they reach (see ThroughNS).
func CountsOf(s results.OpenStats, through time.Duration) *OpenCounts {
	return &OpenCounts{
		ThroughNS: int64(max(through, 0)),
		Scheduled: s.Scheduled, Sent: s.Sent, Late: s.Late, Dropped: s.Dropped,
		Saturated: s.Saturated, Abandoned: s.Abandoned, MaxLateNS: int64(s.MaxLate),
		Slots: s.Slots, MaxInFlight: s.MaxInFlight, MaxLagNS: int64(s.MaxLag), LateAfterNS: int64(s.LateAfter),
	}
}

// Stats returns the counts as results.OpenStats.
func (c *OpenCounts) Stats() results.OpenStats {
	return results.OpenStats{
		Scheduled: c.Scheduled, Sent: c.Sent, Late: c.Late, Dropped: c.Dropped,
		Saturated: c.Saturated, Abandoned: c.Abandoned, MaxLate: time.Duration(c.MaxLateNS),
		Slots: c.Slots, MaxInFlight: c.MaxInFlight, MaxLag: time.Duration(c.MaxLagNS), LateAfter: time.Duration(c.LateAfterNS),
	}
}

// maxOpenCount bounds each of a worker's open-model counts: a year at 10
// million requests a second is below it, and the sum over any fleet stays
// far from wrapping round.
const maxOpenCount = 1 << 50

// Validate refuses counts out of range.
func (c *OpenCounts) Validate() error {
	for _, n := range []uint64{c.Scheduled, c.Sent, c.Late, c.Dropped, c.Saturated, c.Abandoned} {
		if n > maxOpenCount {
			return fmt.Errorf("open: a count of %d is out of range", n)
		}
	}
	switch {
	case c.MaxLateNS < 0 || c.LateAfterNS < 0 || c.ThroughNS < 0:
		return errors.New("open: negative duration")
	case c.Slots < 0 || c.MaxInFlight < 0 || c.MaxInFlight > loadgen.MaxInFlightLimit || c.Slots > loadgen.MaxInFlightLimit:
		return errors.New("open: slots or max_inflight out of range")
	}
	return nil
}
