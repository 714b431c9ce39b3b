package loadgen

import (
	"time"

	"github.com/loadgen/loadgen/internal/hiccup"
	"github.com/loadgen/loadgen/results"
)

// PauseThreshold is how much later than asked the pause meter
// must wake for the generator to count as paused: as late as an open-model
// request must be sent to count as late.
const PauseThreshold = 10 * time.Millisecond

// pausePeriod is how long the pause meter sleeps at a time. A pause shows
// as up to this much shorter than it was, and one shorter than this plus
// the threshold can fall between two wake-ups unseen: the machine's 100 ms
// pauses that make an open model's p99 are always seen. Shorter periods
// cost a process whose users think between requests dearly: every 5 ms
// added 10 to 30 us to each request of 1,000 users thinking 2 s, a
// wake-up of an idle process being that expensive on a virtual machine.
const pausePeriod = 50 * time.Millisecond

// pauses measures the generator's pauses while a process makes load,
// whatever the model or the front end: Users and OpenLoad each run one,
// and add what it saw to every drain.
type pauses struct{ m *hiccup.Meter }

func startPauses() pauses { return pauses{hiccup.StartMeter(pausePeriod, PauseThreshold)} }

// drain adds the pauses since the last drain to d.
func (p pauses) drain(d *results.Delta) {
	s := p.m.Take()
	d.Pause(results.PauseStats{Count: s.Stalls, Total: s.Stalled, Max: s.Max})
}

func (p pauses) stop() { p.m.Stop() }
