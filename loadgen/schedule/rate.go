package schedule

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// MaxRate is the highest arrival rate a schedule accepts, in requests per
// second: one request per nanosecond, the resolution of intended times.
const MaxRate = 1e9

// maxCount bounds the requests of a bounded schedule. Request numbers are
// turned into float64 positions on the cumulative-count curve, which are
// exact only up to 2^53.
const maxCount = 1 << 53

// Stage is one piece of a rate profile: over Duration the rate moves
// linearly from where the previous stage ended to Target, in requests per
// second. A zero Duration steps to Target at once.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// Rate is an arrival rate over elapsed time, the open model's counterpart
// of a user ramp. Start is the rate at elapsed zero. Without Stages the
// rate stays at Start for ever, and the run ends some other way. With
// Stages the rate follows them, linearly between their targets as in k6's
// ramping-arrival-rate executor, and the schedule ends with the last stage.
//
// So Rate{Start: 0, Stages: 30s:100, 60s:1000, 30s:0} climbs from nothing
// to 100 requests per second over 30 s, on to 1000 over the next minute,
// and back to nothing over the last 30 s. A stage whose rate is zero
// throughout sends nothing; to hold a rate, repeat its target
// (0s:100, 60s:100 holds 100 for a minute).
type Rate struct {
	Start  float64
	Stages []Stage
}

// Constant is the unending rate of r requests per second.
func Constant(r float64) Rate { return Rate{Start: r} }

// Validate reports the first thing that makes r unusable: a rate that is
// negative, not finite or above MaxRate, a negative stage duration, stages
// whose total duration overflows, or a bounded schedule of more than 2^53
// requests.
func (r Rate) Validate() error {
	if err := checkRate(r.Start); err != nil {
		return fmt.Errorf("start rate: %w", err)
	}
	var end time.Duration
	count := 0.0
	prev := r.Start
	for i, s := range r.Stages {
		if err := checkRate(s.Target); err != nil {
			return fmt.Errorf("stage %d: %w", i+1, err)
		}
		if s.Duration < 0 {
			return fmt.Errorf("stage %d: negative duration %v", i+1, s.Duration)
		}
		if end > math.MaxInt64-s.Duration {
			return fmt.Errorf("stage %d: the stages last longer than %v", i+1, time.Duration(math.MaxInt64))
		}
		end += s.Duration
		count += (prev + s.Target) / 2 * s.Duration.Seconds()
		prev = s.Target
	}
	if len(r.Stages) > 0 && count > maxCount {
		return fmt.Errorf("the stages schedule %.3g requests, more than 2^53", count)
	}
	return nil
}

var errNotFinite = errors.New("rate is not a finite number")

func checkRate(v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return errNotFinite
	case v < 0:
		return fmt.Errorf("rate %g is negative", v)
	case v > MaxRate:
		return fmt.Errorf("rate %g is above %g requests per second", v, float64(MaxRate))
	}
	return nil
}

// Bounded reports whether the schedule ends, that is whether it has stages.
func (r Rate) Bounded() bool { return len(r.Stages) > 0 }

// Duration is when the schedule ends: the sum of the stage durations. It
// is zero for an unending rate; see Bounded.
func (r Rate) Duration() time.Duration {
	var d time.Duration
	for _, s := range r.Stages {
		d += s.Duration
	}
	return d
}

// At is the rate at elapsed time t. At a stage boundary it is the rate the
// next stage starts from; after a bounded schedule it is zero.
func (r Rate) At(t time.Duration) float64 {
	if t < 0 {
		return 0
	}
	prev := r.Start
	var begin time.Duration
	for _, s := range r.Stages {
		if t < begin+s.Duration {
			f := float64(t-begin) / float64(s.Duration)
			return prev + (s.Target-prev)*f
		}
		begin += s.Duration
		prev = s.Target
	}
	if r.Bounded() {
		return 0
	}
	return r.Start
}

// Scale multiplies every rate by f, for a worker's share of a run's rate.
func (r Rate) Scale(f float64) Rate {
	out := Rate{Start: r.Start * f}
	if r.Stages != nil {
		out.Stages = make([]Stage, len(r.Stages))
		for i, s := range r.Stages {
			out.Stages[i] = Stage{Duration: s.Duration, Target: s.Target * f}
		}
	}
	return out
}

// Until cuts the schedule at elapsed d, so that a run time bounds an
// unending rate or shortens stages: an unending rate becomes one stage
// that holds it for d, and a stage that crosses d ends there at the rate
// it had reached. A d of zero or less leaves r as it is.
func (r Rate) Until(d time.Duration) Rate {
	if d <= 0 {
		return r
	}
	if !r.Bounded() {
		return Rate{Start: r.Start, Stages: []Stage{{Duration: d, Target: r.Start}}}
	}
	out := Rate{Start: r.Start}
	prev := r.Start
	var begin time.Duration
	for _, s := range r.Stages {
		if begin+s.Duration >= d {
			target := s.Target
			if s.Duration > 0 {
				target = prev + (s.Target-prev)*float64(d-begin)/float64(s.Duration)
			}
			out.Stages = append(out.Stages, Stage{Duration: d - begin, Target: target})
			return out
		}
		out.Stages = append(out.Stages, s)
		begin += s.Duration
		prev = s.Target
	}
	return out
}

// Split returns worker k's share of r when n workers share it equally,
// and the phase that interleaves their constant-arrival schedules: worker
// k sends the run's requests k, k+n, k+2n, ..., so together the workers
// keep the run's schedule exactly, as one generator would. Poisson
// arrivals need no phase; give each worker its own seed instead.
func (r Rate) Split(k, n int) (Rate, float64) {
	if n <= 1 {
		return r, 0
	}
	return r.Scale(1 / float64(n)), float64(k) / float64(n)
}

// ShareSeed is the Poisson seed of share k in the split numbered gen,
// when the shares of a run's rate are split again as generators come and
// go: the run's seed plus k for the first split, and a mix of all three
// for later ones, so that a run is reproducible from its seed and no two
// shares draw the same arrivals.
func ShareSeed(seed uint64, k int, gen uint64) uint64 {
	if gen == 0 {
		return seed + uint64(k)
	}
	return splitmix(seed ^ splitmix(gen<<32^uint64(k)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
