package results

import (
	"math/bits"
	"slices"
)

// The flat bucket index of the project geometry (1 us .. 24 h at 3
// significant figures), computed as HdrHistogram computes it: buckets of
// 2048 sub-buckets, each bucket twice as wide as the one before, the lower
// half of every bucket but the first overlapping the previous one.
// TestIndexMatchesLibrary pins these against hdrhistogram-go.
const (
	subBucketHalfCountMagnitude = 10
	subBucketHalfCount          = 1 << subBucketHalfCountMagnitude // 1024
	subBucketMask               = 2*subBucketHalfCount - 1         // 2047
	// countsLen is the number of buckets the geometry has: 28 half-buckets
	// of 1024, enough for HighestMicros.
	countsLen = 28 * subBucketHalfCount
)

// indexOf returns the flat bucket index of a value in 0..HighestMicros.
func indexOf(v int64) int32 {
	bucket := 64 - bits.LeadingZeros64(uint64(v|subBucketMask)) - (subBucketHalfCountMagnitude + 1)
	sub := v >> uint(bucket)
	return int32((bucket+1)<<subBucketHalfCountMagnitude) + int32(sub) - subBucketHalfCount
}

// valueAt returns the lowest value of a flat bucket index.
func valueAt(idx int32) int64 {
	bucket := int(idx>>subBucketHalfCountMagnitude) - 1
	sub := int64(idx&(subBucketHalfCount-1)) + subBucketHalfCount
	if bucket < 0 {
		sub -= subBucketHalfCount
		bucket = 0
	}
	return sub << uint(bucket)
}

// sparseCounts is a histogram as a sorted list of (bucket index, count)
// pairs. It is what deltas hold: small for an interval's few hundred
// populated buckets, cheap to merge (a linear walk), and cheap to build
// from the wire format, whose payload lists buckets in index order.
type sparseCounts struct {
	idx   []int32 // ascending, unique
	cnt   []int64 // cnt[i] > 0 is the count of bucket idx[i]
	total int64

	// Merge targets, swapped with idx and cnt, so that merging reuses
	// memory instead of allocating.
	spareIdx []int32
	spareCnt []int64
}

func (s *sparseCounts) reset() {
	s.idx = s.idx[:0]
	s.cnt = s.cnt[:0]
	s.total = 0
}

// appendBucket adds a bucket above every bucket already present.
func (s *sparseCounts) appendBucket(idx int32, n int64) {
	s.idx = append(s.idx, idx)
	s.cnt = append(s.cnt, n)
	s.total += n
}

// merge adds o's counts into s.
func (s *sparseCounts) merge(o *sparseCounts) {
	if o.total == 0 {
		return
	}
	oi, oc := o.idx, o.cnt
	s.mergeWith(len(oi), func(j int) (int32, int64) { return oi[j], oc[j] })
	s.total += o.total
}

// addSortedIndexes adds one count per element of ix, which is sorted and
// may repeat.
func (s *sparseCounts) addSortedIndexes(ix []int32) {
	if len(ix) == 0 {
		return
	}
	// Count the runs, then feed them to the merge one by one.
	runs := 0
	for i := 0; i < len(ix); {
		j := i + 1
		for j < len(ix) && ix[j] == ix[i] {
			j++
		}
		runs++
		i = j
	}
	pos, start := 0, 0
	s.mergeWith(runs, func(int) (int32, int64) {
		start = pos
		for pos < len(ix) && ix[pos] == ix[start] {
			pos++
		}
		return ix[start], int64(pos - start)
	})
	s.total += int64(len(ix))
}

// mergeWith merges n ascending (index, count) pairs produced in order by
// next into s.
func (s *sparseCounts) mergeWith(n int, next func(j int) (int32, int64)) {
	ni := s.spareIdx[:0]
	nc := s.spareCnt[:0]
	ni = slices.Grow(ni, len(s.idx)+n)
	nc = slices.Grow(nc, len(s.idx)+n)
	i := 0
	for j := 0; j < n; j++ {
		idx, c := next(j)
		for i < len(s.idx) && s.idx[i] < idx {
			ni = append(ni, s.idx[i])
			nc = append(nc, s.cnt[i])
			i++
		}
		if i < len(s.idx) && s.idx[i] == idx {
			c += s.cnt[i]
			i++
		}
		ni = append(ni, idx)
		nc = append(nc, c)
	}
	ni = append(ni, s.idx[i:]...)
	nc = append(nc, s.cnt[i:]...)
	s.spareIdx, s.spareCnt = s.idx, s.cnt
	s.idx, s.cnt = ni, nc
}

// seriesCounts holds an entry's histograms for one interval: the latency
// series that every request feeds, and the optional corrected and
// service-time series.
type seriesCounts struct {
	latency, corrected, service sparseCounts
}

func (s *seriesCounts) reset() {
	s.latency.reset()
	s.corrected.reset()
	s.service.reset()
}

func (s *seriesCounts) merge(o *seriesCounts) {
	s.latency.merge(&o.latency)
	s.corrected.merge(&o.corrected)
	s.service.merge(&o.service)
}

// folder turns buffered samples into sparse histograms: it gathers each
// entry's bucket indexes, sorts them and merges the runs. Its scratch
// slices are reused from one fold to the next.
type folder struct {
	lat, cor, svc [][]int32 // per entry
}

// maxCorrectionScratch bounds the synthetic values gathered before they
// are merged, for very long stalls at short pacing intervals.
const maxCorrectionScratch = 1 << 16

func newFolder(entries int) folder {
	return folder{
		lat: make([][]int32, entries),
		cor: make([][]int32, entries),
		svc: make([][]int32, entries),
	}
}

// grow makes room for entries up to n.
func (f *folder) grow(n int) {
	for len(f.lat) < n {
		f.lat = append(f.lat, nil)
		f.cor = append(f.cor, nil)
		f.svc = append(f.svc, nil)
	}
}

// fold adds samples into dst, indexed by entry.
func (f *folder) fold(samples []sample, dst func(entry int32) *seriesCounts) {
	for _, s := range samples {
		e := s.entry
		f.lat[e] = append(f.lat[e], indexOf(s.us))
		if s.flags&flagCorrected != 0 {
			f.addCorrected(e, s.us, s.interval, dst)
		}
		if s.flags&flagService != 0 {
			f.svc[e] = append(f.svc[e], indexOf(s.service))
		}
	}
	for e := range f.lat {
		if len(f.lat[e]) == 0 && len(f.cor[e]) == 0 && len(f.svc[e]) == 0 {
			continue
		}
		d := dst(int32(e))
		flush(&f.lat[e], &d.latency)
		flush(&f.cor[e], &d.corrected)
		flush(&f.svc[e], &d.service)
	}
}

// addCorrected gathers a latency and, as HdrHistogram's
// RecordCorrectedValue does, the values a user paced at interval would
// have seen while this request stalled it: us-interval, us-2·interval, and
// so on down to interval.
func (f *folder) addCorrected(e int32, us, interval int64, dst func(entry int32) *seriesCounts) {
	f.cor[e] = append(f.cor[e], indexOf(us))
	if interval <= 0 {
		return
	}
	for v := us - interval; v >= interval; v -= interval {
		if len(f.cor[e]) >= maxCorrectionScratch {
			flush(&f.cor[e], &dst(e).corrected)
		}
		f.cor[e] = append(f.cor[e], indexOf(v))
	}
}

func flush(ix *[]int32, dst *sparseCounts) {
	if len(*ix) == 0 {
		return
	}
	slices.Sort(*ix)
	dst.addSortedIndexes(*ix)
	*ix = (*ix)[:0]
}
