package results

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// DeltaVersion is the version of the Delta wire format. Decoding rejects
// other versions, so that a coordinator never merges numbers it misreads.
const DeltaVersion = 1

// wireDelta is the JSON form of a Delta.
type wireDelta struct {
	Version int         `json:"version"`
	Entries []wireEntry `json:"entries"`
	Errors  []wireError `json:"errors"`
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

// MarshalJSON encodes the delta for another process. Entries without
// requests are left out. The format is documented in SCHEMA.md.
func (d *Delta) MarshalJSON() ([]byte, error) {
	w := wireDelta{Version: DeltaVersion, Entries: []wireEntry{}, Errors: []wireError{}}
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
		if we.HDR, err = EncodeHistogram(e.series.latency); err != nil {
			return nil, err
		}
		if countOf(e.series.corrected) > 0 {
			if we.CorrectedHDR, err = EncodeHistogram(e.series.corrected); err != nil {
				return nil, err
			}
		}
		if countOf(e.series.service) > 0 {
			if we.ServiceHDR, err = EncodeHistogram(e.series.service); err != nil {
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

// UnmarshalJSON decodes and validates a delta written by MarshalJSON,
// replacing d's contents. Anything inconsistent (a histogram of another
// geometry or whose count disagrees with the entry's, negative or
// impossible totals, duplicate entries) is an error, and d is left
// unchanged, so a coordinator can reject a bad report as a whole.
func (d *Delta) UnmarshalJSON(data []byte) error {
	var w wireDelta
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("decode delta: %w", err)
	}
	if w.Version != DeltaVersion {
		return fmt.Errorf("decode delta: version %d, want %d", w.Version, DeltaVersion)
	}
	var nd Delta
	for i, we := range w.Entries {
		key := EntryKey{Method: we.Method, Name: we.Name}
		if nd.index[key] != nil {
			return fmt.Errorf("decode delta: entries[%d] (%s %s) appears twice", i, we.Method, we.Name)
		}
		e, err := decodeWireEntry(we)
		if err != nil {
			return fmt.Errorf("decode delta: entries[%d] (%s %s): %w", i, we.Method, we.Name, err)
		}
		if e.counters.count == 0 {
			continue
		}
		ne := nd.entry(key)
		ne.counters = e.counters
		ne.series = e.series
	}
	seen := make(map[ErrorKey]bool, len(w.Errors))
	for i, we := range w.Errors {
		k := ErrorKey{Method: we.Method, Name: we.Name, Error: we.Error}
		switch {
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
	*d = nd
	return nil
}

// decodeWireEntry checks one wire entry and decodes its histograms.
func decodeWireEntry(we wireEntry) (*deltaEntry, error) {
	c := counters{
		count: we.Count, failures: we.Failures, sumUs: we.SumUs,
		minUs: we.MinUs, maxUs: we.MaxUs, bytes: we.Bytes, clamped: we.Clamped,
	}
	switch {
	case c.count < 0:
		return nil, fmt.Errorf("count %d is negative", c.count)
	case c.failures < 0 || c.failures > c.count:
		return nil, fmt.Errorf("failures %d is not within 0..count (%d)", c.failures, c.count)
	case c.clamped < 0 || c.clamped > c.count:
		return nil, fmt.Errorf("clamped %d is not within 0..count (%d)", c.clamped, c.count)
	case c.bytes < 0:
		return nil, fmt.Errorf("bytes %d is negative", c.bytes)
	case c.sumUs < 0:
		return nil, fmt.Errorf("sum_us %d is negative", c.sumUs)
	}
	e := &deltaEntry{counters: c}
	if c.count == 0 {
		return e, nil
	}
	if c.minUs < 0 || c.minUs > c.maxUs || c.maxUs > HighestMicros {
		return nil, fmt.Errorf("min_us %d and max_us %d are not an interval within 0..%d", c.minUs, c.maxUs, HighestMicros)
	}
	h, err := DecodeHistogram(we.HDR)
	if err != nil {
		return nil, fmt.Errorf("hdr: %w", err)
	}
	if h.TotalCount() != c.count {
		return nil, fmt.Errorf("hdr holds %d values, count is %d", h.TotalCount(), c.count)
	}
	e.series.latency = h
	if we.CorrectedHDR != "" {
		if e.series.corrected, err = DecodeHistogram(we.CorrectedHDR); err != nil {
			return nil, fmt.Errorf("corrected_hdr: %w", err)
		}
	}
	if we.ServiceHDR != "" {
		if e.series.service, err = DecodeHistogram(we.ServiceHDR); err != nil {
			return nil, fmt.Errorf("service_hdr: %w", err)
		}
		if n := e.series.service.TotalCount(); n > c.count {
			return nil, fmt.Errorf("service_hdr holds %d values, more than count %d", n, c.count)
		}
	}
	return e, nil
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
