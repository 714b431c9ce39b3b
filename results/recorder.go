package results

import (
	"sync"
	"time"
)

// Buffer sizes for a recorder's samples. A buffer starts small, so idle
// users cost little, and grows to the user's request rate per drain
// interval; past maxBufferedSamples the user folds its samples into its own
// sparse histograms instead, so a stalled drainer cannot make memory grow
// without bound.
const (
	initialBufferedSamples = 64
	maxBufferedSamples     = 4096
)

// Observation is one request's measurement, for the cases Success and
// Failure do not cover.
type Observation struct {
	// Latency is what the entry's main series records: from the intended
	// send time in open-model runs, from the actual send otherwise.
	Latency time.Duration
	// Bytes is the response size.
	Bytes int64
	// Err is the normalised failure text (see NormalizeError); empty means
	// the request succeeded.
	Err string
	// ExpectedInterval, when positive, also records Latency into the entry's
	// coordinated-omission corrected series, adding the samples a stalled
	// closed-model user missed at this pacing interval.
	ExpectedInterval time.Duration
	// Service, when positive, also records the service time (from the actual
	// send) into the entry's service-time series.
	Service time.Duration
	// At is when a failure happened, for its first and last seen times; zero
	// means now. Callers that already read the clock pass it to save a read.
	At time.Time
}

// Recorder collects the measurements of one simulated user, or of a small
// group of them, for a fixed list of entries, addressed by index. The
// users' goroutines record; one other goroutine drains. The mutex is per
// recorder and held for a few tens of nanoseconds, so a small group rarely
// meets there, and recording allocates nothing once the buffers have grown
// to the group's rate.
type Recorder struct {
	rows *Rows

	mu  sync.Mutex // guards cur; held by recording and by Drain's swap
	cur *recordBuffer

	drainMu sync.Mutex    // serialises drains
	spare   *recordBuffer // the buffer being drained; owned by Drain
	targets []*deltaEntry // scratch: entry index to Delta entry, per drain
}

// recordBuffer is one half of a recorder's double buffer.
type recordBuffer struct {
	counters []counters
	samples  []sample
	spill    []seriesCounts // per entry; used once samples reach their cap
	spilled  bool
	errors   map[errorAt]*errorCount // created on the first failure
	folder   folder                  // used by whichever side folds this buffer
	// exceptions and skipped are created on first use.
	exceptions map[string]*exceptionCount
	skipped    map[int]int64
}

// errorAt keys a failure text by entry index.
type errorAt struct {
	entry int
	text  string
}

// NewRecorder returns a recorder for the given entries; the index of a key
// in keys is the entry argument of the recording methods.
func NewRecorder(keys []EntryKey) *Recorder {
	return NewRowsRecorder(NewRows(keys...))
}

// NewRowsRecorder returns a recorder for the entries of rows, whose index
// is the entry argument of the recording methods. Entries added to rows
// later may be recorded too: the recorder grows to them when it first
// sees one.
func NewRowsRecorder(rows *Rows) *Recorder {
	n := rows.Len()
	return &Recorder{
		rows:    rows,
		cur:     newRecordBuffer(n),
		spare:   newRecordBuffer(n),
		targets: make([]*deltaEntry, n),
	}
}

func newRecordBuffer(n int) *recordBuffer {
	return &recordBuffer{
		counters: make([]counters, n),
		samples:  make([]sample, 0, initialBufferedSamples),
		folder:   newFolder(n),
	}
}

// Keys returns the recorder's entries, in index order.
func (r *Recorder) Keys() []EntryKey {
	return append([]EntryKey(nil), r.rows.Keys()...)
}

// Success records a successful request. It is the hot path: no allocation
// once the buffers have grown, no channel, and a lock held for a few
// nanoseconds, shared only by the goroutines that record into this
// recorder (a group of users or of open-model slots).
// entry must be a valid index into the recorder's keys.
func (r *Recorder) Success(entry int, latency time.Duration, bytes int64) {
	us, clamped := ToMicros(latency)
	r.mu.Lock()
	r.cur.grow(entry, r.rows)
	r.cur.add(entry, us, clamped, bytes, sample{us: us, entry: int32(entry)})
	r.mu.Unlock()
}

// Failure records a failed request. errText is the normalised failure text
// (see NormalizeError and StatusFailure); its first and last occurrence are
// timed with the wall clock.
func (r *Recorder) Failure(entry int, latency time.Duration, bytes int64, errText string) {
	r.Observe(entry, Observation{Latency: latency, Bytes: bytes, Err: errText})
}

// SuccessCO records a successful request of a user paced at
// expectedInterval: the latency goes into the main series as with Success,
// and into the corrected series with the values that a user stalled by this
// request failed to send (HdrHistogram's RecordCorrectedValue).
func (r *Recorder) SuccessCO(entry int, latency time.Duration, bytes int64, expectedInterval time.Duration) {
	r.Observe(entry, Observation{Latency: latency, Bytes: bytes, ExpectedInterval: expectedInterval})
}

// Observe records a request with any combination of outcome and optional
// series. It allocates only for the first occurrence of a failure text
// between drains.
func (r *Recorder) Observe(entry int, o Observation) {
	us, clamped := ToMicros(o.Latency)
	s := sample{us: us, entry: int32(entry)}
	if o.ExpectedInterval > 0 {
		s.flags |= flagCorrected
		s.interval, _ = ToMicros(o.ExpectedInterval)
	}
	if o.Service > 0 {
		s.flags |= flagService
		var c bool
		s.service, c = ToMicros(o.Service)
		clamped = clamped || c
	}
	now := o.At
	if o.Err != "" {
		s.flags |= flagFailure
		if now.IsZero() {
			now = time.Now()
		}
	}
	r.mu.Lock()
	b := r.cur
	b.grow(entry, r.rows)
	b.add(entry, us, clamped, o.Bytes, s)
	if o.Err != "" {
		b.addError(entry, o.Err, now)
	}
	r.mu.Unlock()
}

// Exception records a panic in user code: its message and its stack,
// which groups it (see ExceptionKey). The request it interrupted is
// recorded as a failure separately.
func (r *Recorder) Exception(message, traceback string) {
	r.mu.Lock()
	addException(&r.cur.exceptions, ExceptionKey{Message: message, Traceback: traceback}, 1, nil)
	r.mu.Unlock()
}

// Skip records n requests of entry that were not sent, because an earlier
// step of their task failed.
func (r *Recorder) Skip(entry, n int) {
	if n <= 0 {
		return
	}
	r.mu.Lock()
	b := r.cur
	if b.skipped == nil {
		b.skipped = make(map[int]int64)
	}
	b.skipped[entry] += int64(n)
	r.mu.Unlock()
}

// grow makes room for entry, an index of rows added since the buffer was
// made; the caller holds the recorder's mutex. It costs a length check
// on the hot path and allocates once per new entry.
func (b *recordBuffer) grow(entry int, rows *Rows) {
	if entry < len(b.counters) {
		return
	}
	n := max(rows.Len(), entry+1)
	b.counters = append(b.counters, make([]counters, n-len(b.counters))...)
	if b.spill != nil {
		b.spill = append(b.spill, make([]seriesCounts, n-len(b.spill))...)
	}
	b.folder.grow(n)
}

// add records one sample; the caller holds the recorder's mutex.
func (b *recordBuffer) add(entry int, us int64, clamped bool, bytes int64, s sample) {
	b.counters[entry].observe(us, clamped, max(bytes, 0), s.flags&flagFailure != 0)
	if len(b.samples) == maxBufferedSamples {
		b.spillSamples()
	}
	b.samples = append(b.samples, s)
}

// spillSamples folds the buffered samples into the buffer's own histograms,
// which only happens when the drainer has fallen far behind.
func (b *recordBuffer) spillSamples() {
	if b.spill == nil {
		b.spill = make([]seriesCounts, len(b.counters))
	}
	b.folder.fold(b.samples, func(e int32) *seriesCounts { return &b.spill[e] })
	b.samples = b.samples[:0]
	b.spilled = true
}

func (b *recordBuffer) addError(entry int, text string, now time.Time) {
	if b.errors == nil {
		b.errors = make(map[errorAt]*errorCount)
	}
	k := errorAt{entry: entry, text: text}
	t := b.errors[k]
	if t == nil {
		t = &errorCount{}
		b.errors[k] = t
	}
	// Users sharing the recorder take their times before its lock, so
	// they arrive out of order: first and last are the extremes.
	t.add(1, now, now)
}

// Drain moves everything recorded since the previous drain into the delta
// and leaves the recorder empty. It runs concurrently with recording: the
// recording goroutine waits at most for a pointer swap, and the folding
// into histograms happens afterwards on the caller's goroutine. Drain may
// be called from any goroutine, but no other goroutine may use the delta
// meanwhile.
func (r *Recorder) Drain(into *Delta) {
	r.drainMu.Lock()
	defer r.drainMu.Unlock()

	r.mu.Lock()
	b := r.cur
	r.cur = r.spare
	r.spare = b
	r.mu.Unlock()

	// The buffer may have grown to entries added since the last drain;
	// the keys read now cover all of them.
	keys := r.rows.Keys()
	if len(r.targets) < len(b.counters) {
		r.targets = append(r.targets, make([]*deltaEntry, len(b.counters)-len(r.targets))...)
	}
	for i := range b.counters {
		c := &b.counters[i]
		if c.count == 0 {
			r.targets[i] = nil
			continue
		}
		e := into.entry(keys[i])
		e.counters.merge(*c)
		r.targets[i] = e
		*c = counters{}
	}
	b.folder.fold(b.samples, func(e int32) *seriesCounts { return &r.targets[e].series })
	b.samples = b.samples[:0]
	if b.spilled {
		for i := range b.spill {
			if t := r.targets[i]; t != nil {
				t.series.merge(&b.spill[i])
			}
			b.spill[i].reset()
		}
		b.spilled = false
	}
	for k, t := range b.errors {
		key := keys[k.entry]
		into.addError(ErrorKey{Method: key.Method, Name: key.Name, Error: k.text}, t.count, t.first, t.last)
	}
	clear(b.errors)
	for tb, e := range b.exceptions {
		addException(&into.exceptions, ExceptionKey{Message: e.msg, Traceback: tb}, e.count, nil)
	}
	clear(b.exceptions)
	for e, n := range b.skipped {
		addSkipped(&into.skipped, keys[e], n)
	}
	clear(b.skipped)
}
