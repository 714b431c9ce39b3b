package results

import (
	"errors"
	"fmt"
	"math/bits"
	"unicode"
	"unicode/utf8"
)

// Limits on the texts of a delta, which a coordinator takes from workers
// it cannot fully trust: every one is kept for the whole run, and printed
// in tables, CSV files and reports.
const (
	// MaxMethodBytes bounds an entry's method, Locust's request type.
	MaxMethodBytes = 32
	// MaxNameBytes bounds an entry's name.
	MaxNameBytes = 2048
	// MaxErrorTextBytes bounds a failure group's text, which loadgen's
	// own normalisation keeps far shorter.
	MaxErrorTextBytes = 1024
	// maxNodeBytes bounds the name of a node in an exception group: a
	// worker's id.
	maxNodeBytes = 128
)

// checkKey checks an entry's method and name as a delta carries them: a
// method of printable ASCII without spaces, a name of printable UTF-8,
// neither of them too long, and not the total's key, so that no text can
// split a table's row or pose as the total.
func checkKey(k EntryKey) error {
	switch {
	case len(k.Method) > MaxMethodBytes:
		return fmt.Errorf("method of %d bytes is over the %d-byte limit", len(k.Method), MaxMethodBytes)
	case len(k.Name) > MaxNameBytes:
		return fmt.Errorf("name of %d bytes is over the %d-byte limit", len(k.Name), MaxNameBytes)
	case k.Method == "" && k.Name == AggregatedName:
		return fmt.Errorf("the name %q with no method is the total's", AggregatedName)
	}
	for i := 0; i < len(k.Method); i++ {
		if c := k.Method[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("method %q: only printable ASCII without spaces", k.Method)
		}
	}
	if err := checkText(k.Name); err != nil {
		return fmt.Errorf("name %q: %w", k.Name, err)
	}
	return nil
}

// checkText accepts printable UTF-8: no control characters.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return errors.New("control characters are not allowed")
		}
	}
	return nil
}

// checkCounters checks that an entry's exact counters agree with each
// other and with its latency histogram, whose buckets hold the same
// values: the sum lies between count times the minimum and count times
// the maximum, and the minimum and maximum fall in the histogram's
// lowest and highest buckets. A forged report cannot then make an
// average out of nothing, or a maximum the histogram never saw.
func checkCounters(c counters, h *sparseCounts) error {
	if c.count == 0 {
		return nil
	}
	if hi, lo := bits.Mul64(uint64(c.count), uint64(c.minUs)); hi != 0 || lo > uint64(c.sumUs) {
		return fmt.Errorf("sum_us %d is below count %d times min_us %d", c.sumUs, c.count, c.minUs)
	}
	if hi, lo := bits.Mul64(uint64(c.count), uint64(c.maxUs)); hi == 0 && lo < uint64(c.sumUs) {
		return fmt.Errorf("sum_us %d is above count %d times max_us %d", c.sumUs, c.count, c.maxUs)
	}
	if n := len(h.idx); n == 0 || indexOf(c.minUs) != h.idx[0] || indexOf(c.maxUs) != h.idx[n-1] {
		return fmt.Errorf("min_us %d and max_us %d are not the extremes of hdr", c.minUs, c.maxUs)
	}
	return nil
}
