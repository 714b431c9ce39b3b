package results

import (
	"math"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Distribution is an immutable latency distribution: an HDR histogram with
// the project geometry and the extremes of the values it holds. Copies
// share the histogram, which nothing modifies, so a Distribution can be read
// from any number of goroutines.
type Distribution struct {
	h            *hdrhistogram.PackedHistogram // nil when empty
	minUs, maxUs int64
	reported     [NumReportedPercentiles]int64 // microseconds
}

// newDistribution takes ownership of h. minUs and maxUs are the exact
// extremes when known; otherwise pass the histogram's own (see
// DistributionOf).
func newDistribution(h *hdrhistogram.PackedHistogram, minUs, maxUs int64) Distribution {
	if h == nil || h.TotalCount() == 0 {
		return Distribution{}
	}
	d := Distribution{h: h, minUs: minUs, maxUs: maxUs}
	levels := ReportedPercentiles()
	quantilesMicros(h, levels[:], minUs, maxUs, d.reported[:])
	return d
}

// NewDistribution wraps a histogram whose exact extremes are known, such as
// one decoded from a report that also gives the minimum and maximum. The
// histogram must not be modified afterwards.
func NewDistribution(h *hdrhistogram.PackedHistogram, min, max time.Duration) Distribution {
	minUs, _ := ToMicros(min)
	maxUs, _ := ToMicros(max)
	return newDistribution(h, minUs, maxUs)
}

// DistributionOf wraps a histogram, such as one decoded with
// DecodeHistogram, whose exact extremes are unknown: its minimum and maximum
// are the bounds of its lowest and highest buckets. The histogram must not
// be modified afterwards.
func DistributionOf(h *hdrhistogram.PackedHistogram) Distribution {
	if h == nil || h.TotalCount() == 0 {
		return Distribution{}
	}
	return newDistribution(h, h.Min(), h.Max())
}

// Count returns the number of values.
func (d Distribution) Count() int64 {
	if d.h == nil {
		return 0
	}
	return d.h.TotalCount()
}

// Min returns the smallest value, or 0 when empty.
func (d Distribution) Min() time.Duration { return micros(d.minUs) }

// Max returns the largest value, or 0 when empty. Percentile(1) returns
// exactly this.
func (d Distribution) Max() time.Duration { return micros(d.maxUs) }

// Mean returns the mean of the values as the histogram resolves them
// (within 0.1 %), or 0 when empty. EntryStats.Avg is exact.
func (d Distribution) Mean() time.Duration {
	if d.h == nil {
		return 0
	}
	return time.Duration(math.Round(d.h.Mean() * float64(time.Microsecond)))
}

// Percentile returns the value at fraction q of the values: the smallest
// recorded value (within HDR precision) such that at least q of all values
// are at or below it. q is a fraction between 0 and 1, not a percentage
// (the convention of this whole module; hdrhistogram-go's
// ValueAtQuantile takes 0 to 100, and the conversion is in this package
// only): Percentile(0.99) is the 99th percentile, Percentile(0.5) the median,
// Percentile(1) the maximum and Percentile(0) the minimum. The result never
// lies outside [Min, Max]. It returns 0 when empty.
func (d Distribution) Percentile(q float64) time.Duration {
	if d.h == nil {
		return 0
	}
	levels := ReportedPercentiles()
	for i, l := range levels {
		if q == l {
			return micros(d.reported[i])
		}
	}
	var out [1]int64
	quantilesMicros(d.h, []float64{q}, d.minUs, d.maxUs, out[:])
	return micros(out[0])
}

// Median returns Percentile(0.5).
func (d Distribution) Median() time.Duration { return d.Percentile(0.5) }

// Reported returns the values at ReportedPercentiles, in order.
func (d Distribution) Reported() [NumReportedPercentiles]time.Duration {
	var out [NumReportedPercentiles]time.Duration
	for i, v := range d.reported {
		out[i] = micros(v)
	}
	return out
}

// Encode returns the histogram in HdrHistogram's V2 compressed base64
// encoding (an empty histogram when the distribution is empty), for other
// tools to decode and merge.
func (d Distribution) Encode() (string, error) {
	if d.h == nil {
		return EncodeHistogram(NewPackedHistogram())
	}
	return EncodeHistogram(d.h)
}

// Histogram returns a copy of the underlying histogram, which the caller
// may modify, for instance to merge distributions.
func (d Distribution) Histogram() *hdrhistogram.PackedHistogram {
	if d.h == nil {
		return NewPackedHistogram()
	}
	return d.h.Clone()
}

func micros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// CountsAtOrBelow returns, for each bound in ascending order, how many
// values are at or below it, to histogram precision: a value counts under
// a bound when the lowest value of its HDR bucket does (within 0.1 %). It
// gives the cumulative buckets of a Prometheus-style histogram.
func (d Distribution) CountsAtOrBelow(bounds []time.Duration) []uint64 {
	out := make([]uint64, len(bounds))
	if d.h == nil {
		return out
	}
	i := 0
	var cum uint64
	for v, n := range d.h.ForEachBucket {
		for i < len(bounds) && micros(v) > bounds[i] {
			out[i] = cum
			i++
		}
		if i == len(bounds) {
			return out
		}
		cum += uint64(n)
	}
	for ; i < len(bounds); i++ {
		out[i] = cum
	}
	return out
}
