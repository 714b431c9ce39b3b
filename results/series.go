package results

// Sample flags: which optional series a sample also feeds.
const (
	flagFailure uint8 = 1 << iota
	flagCorrected
	flagService
)

// sample is one measurement waiting in a recorder buffer for the drainer to
// fold it into histograms. Values are in microseconds.
type sample struct {
	us       int64 // latency
	interval int64 // expected interval, for the corrected series
	service  int64 // service time
	entry    int32
	flags    uint8
}

// counters are the exact per-entry totals that histograms cannot give:
// exact sums, extremes and byte counts. Times are in microseconds.
type counters struct {
	count    int64
	failures int64
	sumUs    int64
	minUs    int64 // valid when count > 0
	maxUs    int64
	bytes    int64
	clamped  int64
}

func (c *counters) observe(us int64, clamped bool, bytes int64, failed bool) {
	if c.count == 0 || us < c.minUs {
		c.minUs = us
	}
	if us > c.maxUs {
		c.maxUs = us
	}
	c.count++
	c.sumUs += us
	c.bytes += bytes
	if failed {
		c.failures++
	}
	if clamped {
		c.clamped++
	}
}

// merge adds o into c. Callers check overflow first (see canMerge).
func (c *counters) merge(o counters) {
	if o.count == 0 {
		return
	}
	if c.count == 0 || o.minUs < c.minUs {
		c.minUs = o.minUs
	}
	if o.maxUs > c.maxUs {
		c.maxUs = o.maxUs
	}
	c.count += o.count
	c.failures += o.failures
	c.sumUs += o.sumUs
	c.bytes += o.bytes
	c.clamped += o.clamped
}

// canMerge reports whether merging o into c keeps every total within int64.
func (c *counters) canMerge(o counters) bool {
	return addOK(c.count, o.count) && addOK(c.sumUs, o.sumUs) && addOK(c.bytes, o.bytes)
}

func addOK(a, b int64) bool {
	s := a + b
	return (s >= a) == (b >= 0)
}
