package results

import (
	"fmt"
	"time"
)

// OpenStats counts what the dispatcher of an open-model run did with the
// requests it was scheduled to send. Latencies say how the target fared;
// these say whether the generator kept to its schedule, so that a report
// can say so when it did not instead of silently sending less.
type OpenStats struct {
	// Scheduled requests are those whose intended time came. Each was
	// either sent or dropped.
	Scheduled uint64
	// Sent requests were handed to a slot.
	Sent uint64
	// Late requests were sent more than LateAfter after their intended
	// time.
	Late uint64
	// Dropped requests were not sent: no slot was free, or the generator
	// could not get to them, within MaxLag of their intended time, or the
	// run ended while they waited.
	Dropped uint64
	// Saturated requests found all MaxInFlight slots busy and had to wait.
	Saturated uint64
	// Abandoned requests were still in flight when a stop's grace period
	// ended; they are in neither the successes nor the failures.
	Abandoned uint64
	// MaxLate is the longest delay between a request's intended time and
	// its hand-over to a slot.
	MaxLate time.Duration
	// Slots is the peak number of requests in flight at once, each on a
	// slot with its own connection (the slots made may be more: an open
	// model connects a few before its first request).
	Slots int
	// MaxInFlight, MaxLag and LateAfter are the settings in force, for
	// reports; MaxLag is negative when requests are never dropped.
	MaxInFlight int
	MaxLag      time.Duration
	LateAfter   time.Duration
}

// Add returns the sum of two runs' statistics, such as those of workers
// that shared a rate: counts, slots and caps add, MaxLate is the larger,
// and the lag settings are s's unless s has none.
func (s OpenStats) Add(o OpenStats) OpenStats {
	out := s
	out.Scheduled += o.Scheduled
	out.Sent += o.Sent
	out.Late += o.Late
	out.Dropped += o.Dropped
	out.Saturated += o.Saturated
	out.Abandoned += o.Abandoned
	out.MaxLate = max(s.MaxLate, o.MaxLate)
	out.Slots += o.Slots
	out.MaxInFlight += o.MaxInFlight
	if s.LateAfter == 0 {
		out.MaxLag, out.LateAfter = o.MaxLag, o.LateAfter
	}
	return out
}

// Warnings describes, one sentence each, how the run fell short of its
// schedule: dropped and late requests. It is empty when the
// generator kept to the schedule.
func (s OpenStats) Warnings() []string {
	var w []string
	if s.Dropped > 0 {
		cause := "the generator could not keep up"
		if s.Saturated > 0 {
			cause = fmt.Sprintf("%d requests found all %d in-flight slots busy", s.Saturated, s.MaxInFlight)
		}
		w = append(w, fmt.Sprintf("%d of %d scheduled requests (%s) were dropped, not sent, because they could not be sent within %v of their intended time (%s): the target got less load than the schedule asked for",
			s.Dropped, s.Scheduled, percent(s.Dropped, s.Scheduled), s.MaxLag, cause))
	}
	if s.Late > 0 {
		w = append(w, fmt.Sprintf("%d of %d sent requests (%s) were sent more than %v after their intended time, the worst %v late; their latencies include the delay",
			s.Late, s.Sent, percent(s.Late, s.Sent), s.LateAfter, s.MaxLate.Round(time.Microsecond)))
	}
	// Requests abandoned at the end are the run's to report, with those
	// of closed-model runs (see loadgen.Result's warnings).
	return w
}

func percent(n, of uint64) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f%%", 100*float64(n)/float64(of))
}

// Since leaves out of s the counts a warm-up had reached, so that they
// cover what the statistics cover. A count below its warm-up value (a
// worker process that restarted under the same id) counts from zero
// rather than wrapping round. MaxLate and Slots still cover the whole
// run.
func (s OpenStats) Since(warm OpenStats) OpenStats {
	sub := func(a, b uint64) uint64 {
		if a < b {
			return 0
		}
		return a - b
	}
	s.Scheduled = sub(s.Scheduled, warm.Scheduled)
	s.Sent = sub(s.Sent, warm.Sent)
	s.Late = sub(s.Late, warm.Late)
	s.Dropped = sub(s.Dropped, warm.Dropped)
	s.Saturated = sub(s.Saturated, warm.Saturated)
	s.Abandoned = sub(s.Abandoned, warm.Abandoned)
	return s
}
