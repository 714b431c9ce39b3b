package results

import (
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The histogram geometry is fixed for the whole project so that every
// histogram, from any process, merges into any other without dropping or
// re-bucketing values.
const (
	// LowestMicros is the lowest discernible latency, in microseconds.
	LowestMicros int64 = 1
	// HighestMicros is the highest trackable latency, in microseconds (24 h).
	// Request timeouts are far shorter, so only a broken clock reaches it.
	HighestMicros int64 = 24 * 60 * 60 * 1_000_000
	// SignificantFigures is the HDR precision: values are kept within 0.1 %.
	SignificantFigures = 3
)

// MaxLatency is HighestMicros as a duration: longer latencies are recorded as
// MaxLatency and counted as clamped.
const MaxLatency = time.Duration(HighestMicros) * time.Microsecond

// NewHistogram returns an empty dense histogram with the project geometry.
// Dense histograms cost about 230 KB each whatever they hold, so they suit
// long-lived accumulators; short-lived or numerous ones should be packed.
func NewHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(LowestMicros, HighestMicros, SignificantFigures)
}

// NewPackedHistogram returns an empty sparse histogram with the project
// geometry. Its size grows with the number of distinct buckets in use
// (typically a few KB), which makes it the right shape for deltas and
// snapshots.
func NewPackedHistogram() *hdrhistogram.PackedHistogram {
	return hdrhistogram.NewPacked(LowestMicros, HighestMicros, SignificantFigures)
}

// ToMicros converts a latency to whole microseconds (rounded to nearest) in
// the histogram range. Out-of-range latencies are moved to the nearest bound
// and reported as clamped, so the caller can count them instead of losing
// them.
func ToMicros(d time.Duration) (us int64, clamped bool) {
	if d < 0 {
		return 0, true
	}
	if d >= MaxLatency {
		return HighestMicros, d > MaxLatency
	}
	return int64((d + time.Microsecond/2) / time.Microsecond), false
}

// geometryOf is implemented by both histogram kinds.
type geometryOf interface {
	LowestTrackableValue() int64
	HighestTrackableValue() int64
	SignificantFigures() int64
}

// checkGeometry reports whether h can be merged exactly into the project's
// histograms.
func checkGeometry(h geometryOf) error {
	if h.LowestTrackableValue() != LowestMicros || h.HighestTrackableValue() != HighestMicros || h.SignificantFigures() != SignificantFigures {
		return fmt.Errorf("histogram geometry %d..%d us at %d significant figures, want %d..%d us at %d",
			h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures(),
			LowestMicros, HighestMicros, SignificantFigures)
	}
	return nil
}
