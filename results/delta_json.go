package results

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
	"unicode/utf8"
)

// DeltaVersion is the version of the Delta wire format. Decoding rejects
// other versions, so that a coordinator never merges numbers it misreads.
const DeltaVersion = 1

// wireDelta is the JSON form of a Delta (see SCHEMA.md).
type wireDelta struct {
	Version int         `json:"version"`
	Entries []wireEntry `json:"entries"`
	Errors  []wireError `json:"errors"`
	// Exceptions and Skipped are rare; left out when empty.
	Exceptions []wireException `json:"exceptions,omitempty"`
	Skipped    []wireSkipped   `json:"skipped,omitempty"`
	// Abandoned is sent once, in a worker's final report.
	Abandoned *wireAbandoned `json:"abandoned,omitempty"`
	// Pauses are the worker's own pauses since its last report.
	Pauses *wirePauses `json:"pauses,omitempty"`
}

// wirePauses counts the generator's pauses.
type wirePauses struct {
	Count   int64 `json:"count"`
	TotalUs int64 `json:"total_us"`
	MaxUs   int64 `json:"max_us"`
}

// wireAbandoned counts the requests cut off in flight at the end of a run.
type wireAbandoned struct {
	Count    int64 `json:"count"`
	OldestUs int64 `json:"oldest_us"`
}

// maxAbandonedAgeUs bounds a wire delta's oldest_us and the pauses' total_us,
// so that they convert to a time.Duration without overflow.
const maxAbandonedAgeUs = math.MaxInt64 / int64(time.Microsecond)

// wireException is one group of exceptions of a wire delta.
type wireException struct {
	Message   string   `json:"message"`
	Traceback string   `json:"traceback"`
	Count     int64    `json:"count"`
	Nodes     []string `json:"nodes,omitempty"`
}

// wireSkipped counts one entry's skipped requests in a wire delta.
type wireSkipped struct {
	Method string `json:"method"`
	Name   string `json:"name"`
	Count  int64  `json:"count"`
}

// wireEntry is one entry of a wire delta. Times are in microseconds;
// histograms are HdrHistogram V2 compressed base64.
type wireEntry struct {
	Method       string `json:"method"`
	Name         string `json:"name"`
	Count        int64  `json:"count"`
	Failures     int64  `json:"failures"`
	SumUs        int64  `json:"sum_us"`
	MinUs        int64  `json:"min_us"`
	MaxUs        int64  `json:"max_us"`
	Bytes        int64  `json:"bytes"`
	Clamped      int64  `json:"clamped"`
	HDR          string `json:"hdr"`
	CorrectedHDR string `json:"corrected_hdr,omitempty"`
	ServiceHDR   string `json:"service_hdr,omitempty"`
}

// wireError is one failure group of a wire delta.
type wireError struct {
	Method    string    `json:"method"`
	Name      string    `json:"name"`
	Error     string    `json:"error"`
	Count     int64     `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

// DeltaCodec encodes deltas to JSON and decodes them, reusing its buffers
// and compression state from one call to the next. A worker that reports
// every second, or a coordinator that reads many workers' reports, should
// keep one per goroutine; Delta's MarshalJSON and UnmarshalJSON use a fresh
// one each time. A DeltaCodec is not safe for concurrent use; its zero
// value is ready to use.
type DeltaCodec struct {
	hist    histCodec
	wire    wireDelta
	scratch Delta  // the next decode target, swapped with the caller's
	b64     []byte // base64 text and its decoding
}

// MarshalJSON encodes the delta for another process. Entries without
// requests are left out.
func (d *Delta) MarshalJSON() ([]byte, error) {
	var c DeltaCodec
	return c.Marshal(d)
}

// UnmarshalJSON decodes and validates a delta; see DeltaCodec.Unmarshal.
func (d *Delta) UnmarshalJSON(data []byte) error {
	var c DeltaCodec
	return c.Unmarshal(data, d)
}

// Marshal encodes d as JSON.
func (c *DeltaCodec) Marshal(d *Delta) ([]byte, error) {
	w := &c.wire
	w.Version = DeltaVersion
	w.Entries = w.Entries[:0]
	w.Errors = w.Errors[:0]
	w.Exceptions = exceptionsToWire(w.Exceptions[:0], d.exceptions)
	w.Skipped = skippedToWire(w.Skipped[:0], d.skipped)
	w.Abandoned = nil
	if a := d.abandoned; a.Count > 0 {
		w.Abandoned = &wireAbandoned{Count: a.Count, OldestUs: a.Oldest.Microseconds()}
	}
	w.Pauses = nil
	if p := d.pauses; p.Count > 0 {
		w.Pauses = &wirePauses{Count: p.Count, TotalUs: p.Total.Microseconds(), MaxUs: p.Max.Microseconds()}
	}
	for _, e := range d.entries {
		if e.counters.count == 0 {
			continue
		}
		we := wireEntry{
			Method: e.key.Method, Name: e.key.Name,
			Count: e.counters.count, Failures: e.counters.failures,
			SumUs: e.counters.sumUs, MinUs: e.counters.minUs, MaxUs: e.counters.maxUs,
			Bytes: e.counters.bytes, Clamped: e.counters.clamped,
		}
		var err error
		if we.HDR, err = c.encodeHist(&e.series.latency); err != nil {
			return nil, err
		}
		if e.series.corrected.total > 0 {
			if we.CorrectedHDR, err = c.encodeHist(&e.series.corrected); err != nil {
				return nil, err
			}
		}
		if e.series.service.total > 0 {
			if we.ServiceHDR, err = c.encodeHist(&e.series.service); err != nil {
				return nil, err
			}
		}
		w.Entries = append(w.Entries, we)
	}
	for k, e := range d.errors {
		w.Errors = append(w.Errors, wireError{
			Method: k.Method, Name: k.Name, Error: k.Error,
			Count: e.count, FirstSeen: e.first, LastSeen: e.last,
		})
	}
	// Map order is random; a stable order keeps encodings comparable.
	slices.SortFunc(w.Errors, func(a, b wireError) int {
		return compareErrorKeys(ErrorKey{a.Method, a.Name, a.Error}, ErrorKey{b.Method, b.Name, b.Error})
	})
	return json.Marshal(w)
}

func (c *DeltaCodec) encodeHist(s *sparseCounts) (string, error) {
	// Deltas go to a coordinator that decodes hundreds a second: plain V2
	// spares it the inflating (see histCodec).
	c.hist.plain = true
	b, err := c.hist.encode(s)
	if err != nil {
		return "", err
	}
	c.b64 = base64.StdEncoding.AppendEncode(c.b64[:0], b)
	return string(c.b64), nil
}

// decodeHist decodes base64 text into dst.
func (c *DeltaCodec) decodeHist(text string, dst *sparseCounts) error {
	var err error
	c.b64, err = base64.StdEncoding.AppendDecode(c.b64[:0], []byte(text))
	if err != nil {
		return fmt.Errorf("base64: %w", err)
	}
	return c.hist.decode(c.b64, dst)
}

// Unmarshal decodes and validates a delta written by Marshal, replacing
// d's contents. Anything inconsistent (a histogram of another geometry or
// whose count disagrees with its entry's, negative or impossible totals,
// duplicate entries) is an error and leaves d unchanged, so a coordinator
// can reject a bad report as a whole.
func (c *DeltaCodec) Unmarshal(data []byte, d *Delta) error {
	w := &c.wire
	// encoding/json decodes array elements into the existing slots without
	// zeroing them, so a field missing from this report would keep the
	// previous report's value: clear every slot first.
	entries, errs := w.Entries[:cap(w.Entries)], w.Errors[:cap(w.Errors)]
	clear(entries)
	clear(errs)
	*w = wireDelta{Entries: entries[:0], Errors: errs[:0]}
	// Strictly: a field this version does not know may be one whose
	// meaning it would miss.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(w); err != nil {
		return fmt.Errorf("decode delta: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("decode delta: data after the delta")
	}
	if w.Version != DeltaVersion {
		return fmt.Errorf("decode delta: version %d, want %d", w.Version, DeltaVersion)
	}
	nd := &c.scratch
	nd.Reset()
	for i := range w.Entries {
		we := &w.Entries[i]
		if we.Count == 0 {
			continue
		}
		key := EntryKey{Method: we.Method, Name: we.Name}
		if err := checkKey(key); err != nil {
			return fmt.Errorf("decode delta: entries[%d]: %w", i, err)
		}
		if e := nd.index[key]; e != nil && e.counters.count > 0 {
			return fmt.Errorf("decode delta: entries[%d] (%s %s) appears twice", i, we.Method, we.Name)
		}
		if err := c.decodeEntry(we, nd.entry(key)); err != nil {
			return fmt.Errorf("decode delta: entries[%d] (%s %s): %w", i, we.Method, we.Name, err)
		}
	}
	seen := make(map[ErrorKey]bool, len(w.Errors))
	for i, we := range w.Errors {
		k := ErrorKey{Method: we.Method, Name: we.Name, Error: we.Error}
		if err := checkKey(EntryKey{Method: k.Method, Name: k.Name}); err != nil {
			return fmt.Errorf("decode delta: errors[%d]: %w", i, err)
		}
		switch {
		case len(k.Error) > MaxErrorTextBytes:
			return fmt.Errorf("decode delta: errors[%d]: error text of %d bytes is over the %d-byte limit", i, len(k.Error), MaxErrorTextBytes)
		case !utf8.ValidString(k.Error):
			return fmt.Errorf("decode delta: errors[%d]: error text is not UTF-8", i)
		case seen[k]:
			return fmt.Errorf("decode delta: errors[%d] appears twice", i)
		case we.Count <= 0:
			return fmt.Errorf("decode delta: errors[%d]: count %d is not positive", i, we.Count)
		case we.LastSeen.Before(we.FirstSeen):
			return fmt.Errorf("decode delta: errors[%d]: last_seen is before first_seen", i)
		}
		seen[k] = true
		nd.addError(k, we.Count, we.FirstSeen, we.LastSeen)
	}
	if err := exceptionsFromWire(w.Exceptions, nd); err != nil {
		return fmt.Errorf("decode delta: %w", err)
	}
	if err := skippedFromWire(w.Skipped, nd); err != nil {
		return fmt.Errorf("decode delta: %w", err)
	}
	if a := w.Abandoned; a != nil {
		switch {
		case a.Count <= 0:
			return fmt.Errorf("decode delta: abandoned: count %d is not positive", a.Count)
		case a.OldestUs < 0 || a.OldestUs > maxAbandonedAgeUs:
			return fmt.Errorf("decode delta: abandoned: oldest_us %d is out of range", a.OldestUs)
		}
		nd.abandoned = AbandonedStats{Count: a.Count, Oldest: time.Duration(a.OldestUs) * time.Microsecond}
	}
	if p := w.Pauses; p != nil {
		switch {
		case p.Count <= 0:
			return fmt.Errorf("decode delta: pauses: count %d is not positive", p.Count)
		case p.TotalUs < 0 || p.TotalUs > maxAbandonedAgeUs:
			return fmt.Errorf("decode delta: pauses: total_us %d is out of range", p.TotalUs)
		case p.MaxUs < 0 || p.MaxUs > p.TotalUs:
			return fmt.Errorf("decode delta: pauses: max_us %d is not between 0 and total_us %d", p.MaxUs, p.TotalUs)
		}
		nd.pauses = PauseStats{Count: p.Count, Total: time.Duration(p.TotalUs) * time.Microsecond, Max: time.Duration(p.MaxUs) * time.Microsecond}
	}
	// Swap, keeping the caller's old storage as the next scratch.
	*d, c.scratch = c.scratch, *d
	return nil
}

// decodeEntry checks one wire entry and decodes it into e.
func (c *DeltaCodec) decodeEntry(we *wireEntry, e *deltaEntry) error {
	ct := counters{
		count: we.Count, failures: we.Failures, sumUs: we.SumUs,
		minUs: we.MinUs, maxUs: we.MaxUs, bytes: we.Bytes, clamped: we.Clamped,
	}
	switch {
	case ct.count < 0:
		return fmt.Errorf("count %d is negative", ct.count)
	case ct.failures < 0 || ct.failures > ct.count:
		return fmt.Errorf("failures %d is not within 0..count (%d)", ct.failures, ct.count)
	case ct.clamped < 0 || ct.clamped > ct.count:
		return fmt.Errorf("clamped %d is not within 0..count (%d)", ct.clamped, ct.count)
	case ct.bytes < 0:
		return fmt.Errorf("bytes %d is negative", ct.bytes)
	case ct.sumUs < 0:
		return fmt.Errorf("sum_us %d is negative", ct.sumUs)
	case ct.minUs < 0 || ct.minUs > ct.maxUs || ct.maxUs > HighestMicros:
		return fmt.Errorf("min_us %d and max_us %d are not an interval within 0..%d", ct.minUs, ct.maxUs, HighestMicros)
	}
	if err := c.decodeHist(we.HDR, &e.series.latency); err != nil {
		return fmt.Errorf("hdr: %w", err)
	}
	if n := e.series.latency.total; n != ct.count {
		return fmt.Errorf("hdr holds %d values, count is %d", n, ct.count)
	}
	if err := checkCounters(ct, &e.series.latency); err != nil {
		return err
	}
	if we.CorrectedHDR != "" {
		if err := c.decodeHist(we.CorrectedHDR, &e.series.corrected); err != nil {
			return fmt.Errorf("corrected_hdr: %w", err)
		}
	}
	if we.ServiceHDR != "" {
		if err := c.decodeHist(we.ServiceHDR, &e.series.service); err != nil {
			return fmt.Errorf("service_hdr: %w", err)
		}
		if n := e.series.service.total; n > ct.count {
			return fmt.Errorf("service_hdr holds %d values, more than count %d", n, ct.count)
		}
	}
	e.counters = ct
	return nil
}

// compareErrorKeys orders failure groups like entries (name, method), then
// by text.
func compareErrorKeys(a, b ErrorKey) int {
	if c := compareKeys(EntryKey{a.Method, a.Name}, EntryKey{b.Method, b.Name}); c != 0 {
		return c
	}
	if a.Error < b.Error {
		return -1
	}
	if a.Error > b.Error {
		return 1
	}
	return 0
}

func exceptionsToWire(dst []wireException, m map[string]*exceptionCount) []wireException {
	for _, e := range exceptionStats(m) {
		dst = append(dst, wireException{Message: e.Message, Traceback: e.Traceback, Count: e.Count, Nodes: e.Nodes})
	}
	return dst
}

func skippedToWire(dst []wireSkipped, m map[EntryKey]int64) []wireSkipped {
	for _, s := range skippedStats(m) {
		dst = append(dst, wireSkipped{Method: s.Method, Name: s.Name, Count: s.Count})
	}
	return dst
}

func exceptionsFromWire(ws []wireException, d *Delta) error {
	if len(ws) > maxExceptionGroups+1 {
		return fmt.Errorf("%d exception groups; at most %d", len(ws), maxExceptionGroups+1)
	}
	seen := make(map[string]bool, len(ws))
	for i, we := range ws {
		k := ExceptionKey{Message: we.Message, Traceback: we.Traceback}
		switch {
		case seen[k.Traceback]:
			return fmt.Errorf("exceptions[%d] appears twice", i)
		case we.Count <= 0:
			return fmt.Errorf("exceptions[%d]: count %d is not positive", i, we.Count)
		case len(we.Nodes) > maxNodesPerGroup:
			return fmt.Errorf("exceptions[%d]: %d nodes; at most %d", i, len(we.Nodes), maxNodesPerGroup)
		}
		for _, n := range we.Nodes {
			if len(n) > maxNodeBytes || checkText(n) != nil {
				return fmt.Errorf("exceptions[%d]: a node name is over %d bytes or not printable UTF-8", i, maxNodeBytes)
			}
		}
		seen[k.Traceback] = true
		addException(&d.exceptions, k, we.Count, we.Nodes)
	}
	return nil
}

func skippedFromWire(ws []wireSkipped, d *Delta) error {
	seen := make(map[EntryKey]bool, len(ws))
	for i, s := range ws {
		k := EntryKey{Method: s.Method, Name: s.Name}
		if err := checkKey(k); err != nil {
			return fmt.Errorf("skipped[%d]: %w", i, err)
		}
		switch {
		case seen[k]:
			return fmt.Errorf("skipped[%d] appears twice", i)
		case s.Count <= 0:
			return fmt.Errorf("skipped[%d]: count %d is not positive", i, s.Count)
		}
		seen[k] = true
		addSkipped(&d.skipped, k, s.Count)
	}
	return nil
}
