package results

import (
	"math"
	"strconv"
)

// This file is the only place where a fraction between 0 and 1 becomes an
// HDR percentile. hdrhistogram-go takes percentiles as 0..100, and asking it
// for 0.99 silently returns the minimum; keeping the conversion here means no
// caller can make that mistake.

// NumReportedPercentiles is the number of levels in ReportedPercentiles.
const NumReportedPercentiles = 11

// ReportedPercentiles returns the levels that tables, CSV files, history
// rows and JSON reports show, as fractions: Locust's list, from the median to
// the maximum. It returns an array so that callers get their own copy.
func ReportedPercentiles() [NumReportedPercentiles]float64 {
	return [NumReportedPercentiles]float64{0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0}
}

// PercentileLabel formats a fraction as Locust labels its columns: 0.5 is
// "50%", 0.999 is "99.9%", 1 is "100%".
func PercentileLabel(q float64) string {
	return PercentileKey(q) + "%"
}

// PercentileKey formats a fraction as a percentage without the sign ("50",
// "99.9"), as used for JSON object keys.
func PercentileKey(q float64) string {
	p := math.Round(q*100*1e6) / 1e6 // drop float noise such as 99.89999999999999
	return strconv.FormatFloat(p, 'f', -1, 64)
}

// quantiled is the query side shared by dense and packed histograms.
type quantiled interface {
	TotalCount() int64
	ValueAtPercentilesSlice(percentiles []float64) []int64
}

// rankOf returns the nearest rank for fraction q among n values: the
// smallest k such that at least q·n values are at or below the k-th. It
// tolerates float noise so that 0.99·100 is rank 99, not 100.
func rankOf(q float64, n int64) int64 {
	x := q * float64(n)
	k := int64(math.Ceil(x - x*1e-12))
	if k < 1 {
		return 1
	}
	if k > n {
		return n
	}
	return k
}

// quantilesMicros computes the value at each fraction in qs, in
// microseconds, with the nearest-rank definition, and clamps each to the
// exact [minUs, maxUs] of the recorded values. So the fraction 1 gives the
// exact maximum, 0 the exact minimum, and no percentile lies outside the
// observed range (HDR buckets would otherwise report the top of the bucket
// holding the maximum). An empty histogram gives zeros.
func quantilesMicros(h quantiled, qs []float64, minUs, maxUs int64, out []int64) {
	n := h.TotalCount()
	if n == 0 {
		clear(out)
		return
	}
	// hdrhistogram-go ranks a percentile p as floor(p/100·n + 0.5); asking
	// for rank k - 0.25 makes that floor land exactly on k, away from any
	// rounding edge, so the library walks its buckets with our rank.
	ps := make([]float64, len(qs))
	for i, q := range qs {
		k := rankOf(q, n)
		ps[i] = 100 * (float64(k) - 0.25) / float64(n)
	}
	vals := h.ValueAtPercentilesSlice(ps)
	for i, q := range qs {
		v := vals[i]
		switch {
		case q <= 0:
			v = minUs
		case q >= 1:
			v = maxUs
		}
		out[i] = min(max(v, minUs), maxUs)
	}
}
