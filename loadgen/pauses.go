package loadgen

import (
	"time"

	"github.com/loadgen/loadgen/internal/hiccup"
	"github.com/loadgen/loadgen/results"
)

// PauseThreshold is how much later than asked the pause meter's thread
// must wake for the generator to count as paused: as late as an open-model
// request must be sent to count as late.
const PauseThreshold = 10 * time.Millisecond

// pausePeriod is how long the pause meter sleeps at a time: a few
// hundred wake-ups a second cost nothing a run can see, and a pause
// longer than the threshold cannot fall between two of them.
const pausePeriod = 5 * time.Millisecond

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
