package users

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// delayHistogram counts how late requests were actually sent, in
// microseconds: exact below 64 us, then 32 buckets per doubling (at most
// 3% wide) up to about 19 hours. Slots add to it concurrently with one
// atomic increment each; it is small (8 KB) and has no lock, so it costs
// the dispatch path nothing.
type delayHistogram struct {
	counts [delayBuckets]atomic.Uint64
}

const (
	delayLinear     = 64 // values below are their own bucket
	delaySubBuckets = 32 // buckets per doubling above delayLinear
	delayMaxShift   = 30
	delayBuckets    = delayLinear + delayMaxShift*delaySubBuckets
)

func delayIndex(us int64) int {
	if us < delayLinear {
		return int(max(us, 0))
	}
	shift := bits.Len64(uint64(us)) - 6 // us>>shift is in [32, 64)
	if shift > delayMaxShift {
		return delayBuckets - 1
	}
	return delayLinear + (shift-1)*delaySubBuckets + int(us>>shift) - delaySubBuckets
}

// delayHighest is the highest value that falls into bucket i.
func delayHighest(i int) int64 {
	if i < delayLinear {
		return int64(i)
	}
	shift := (i-delayLinear)/delaySubBuckets + 1
	m := int64((i-delayLinear)%delaySubBuckets + delaySubBuckets)
	return (m+1)<<shift - 1
}

func (h *delayHistogram) record(d time.Duration) {
	h.counts[delayIndex(d.Microseconds())].Add(1)
}

// quantile returns the smallest bucket bound at or below which a fraction q
// (0..1) of the counts lie, or zero when nothing was counted.
func (h *delayHistogram) quantile(q float64) time.Duration {
	var snap [delayBuckets]uint64
	var total uint64
	for i := range h.counts {
		snap[i] = h.counts[i].Load()
		total += snap[i]
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(min(max(q, 0), 1) * float64(total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range snap {
		seen += c
		if seen >= rank {
			return time.Duration(delayHighest(i)) * time.Microsecond
		}
	}
	return time.Duration(delayHighest(delayBuckets-1)) * time.Microsecond
}
