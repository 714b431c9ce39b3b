package results

import (
	"math"
	"strconv"
	"testing"
	"time"
)

// TestEntriesAreBounded: names made up without end (a hostile worker, or
// an id in every name) cost the aggregate at most MaxEntries histograms;
// the requests of later names are counted in the overflow entry, and
// none is lost.
func TestEntriesAreBounded(t *testing.T) {
	a := NewAggregator(time.Unix(0, 0), AggregatorOptions{EntryHistory: true})
	const n = MaxEntries + 300
	for round := range 2 {
		keys := make([]EntryKey, 0, n/2)
		for i := round * n / 2; i < (round+1)*n/2; i++ {
			keys = append(keys, EntryKey{Method: "GET", Name: "/item/" + strconv.Itoa(i)})
		}
		r := NewRecorder(keys)
		for i := range keys {
			r.Success(i, time.Millisecond, 1)
			r.Skip(i, 1)
		}
		d := NewDelta()
		r.Drain(d)
		if err := a.Add(d); err != nil {
			t.Fatal(err)
		}
		a.Tick(time.Unix(int64(round+1), 0), 1)
	}
	s := a.Snapshot(time.Unix(3, 0))
	if len(s.Entries) != MaxEntries+1 {
		t.Fatalf("%d entries, want %d and the overflow entry", len(s.Entries), MaxEntries)
	}
	over, ok := s.Entry(OverflowEntry)
	if !ok || over.Count() != n-MaxEntries || s.Total.Count() != n {
		t.Errorf("overflow entry %v with %d requests, total %d; want %d and %d", ok, over.Count(), s.Total.Count(), n-MaxEntries, n)
	}
	var skipped int64
	for _, sk := range s.Skipped {
		skipped += sk.Count
	}
	if len(s.Skipped) > MaxEntries+1 || skipped != n {
		t.Errorf("%d skipped groups holding %d; want at most %d holding %d", len(s.Skipped), skipped, MaxEntries+1, n)
	}
}

// TestForgedCountsCannotWrap: counts near the top of int64, as only a
// forged report could send, are refused whole rather than wrapping round
// to negative numbers: two failure groups of 9e18, skipped requests and
// exceptions alike.
func TestForgedCountsCannotWrap(t *testing.T) {
	at := time.Unix(1, 0)
	big := int64(9e18)
	for _, tt := range []struct {
		name string
		fill func(d *Delta, i int)
	}{
		{"failures", func(d *Delta, _ int) { d.addError(ErrorKey{"GET", "/a", "timeout"}, big, at, at) }},
		{"failures folded past the group limit", func(d *Delta, i int) { d.addError(ErrorKey{"GET", "/a", "new " + strconv.Itoa(i)}, big, at, at) }},
		{"skipped", func(d *Delta, _ int) { addSkipped(&d.skipped, EntryKey{"GET", "/a"}, big) }},
		{"exceptions", func(d *Delta, _ int) { addException(&d.exceptions, ExceptionKey{"boom", "tb"}, big, nil) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := NewAggregator(time.Unix(0, 0), AggregatorOptions{})
			if tt.name == "failures folded past the group limit" {
				for i := range maxErrorGroups {
					d := NewDelta()
					d.addError(ErrorKey{"GET", "/a", "e" + strconv.Itoa(i)}, 1, at, at)
					if err := a.Add(d); err != nil {
						t.Fatal(err)
					}
				}
			}
			for i := range 2 {
				d := NewDelta()
				tt.fill(d, i)
				err := a.Add(d)
				if i == 0 && err != nil {
					t.Fatal(err)
				}
				if i == 1 && err == nil {
					t.Fatal("a second count of 9e18 was added")
				}
			}
			s := a.Snapshot(time.Unix(2, 0))
			for _, e := range s.Errors {
				if e.Count < 0 {
					t.Errorf("failure group %v wrapped to %d", e.ErrorKey, e.Count)
				}
			}
			for _, e := range s.Skipped {
				if e.Count != big {
					t.Errorf("skipped %v = %d, want %d", e.EntryKey, e.Count, big)
				}
			}
			for _, e := range s.Exceptions {
				if e.Count != big {
					t.Errorf("exceptions %d, want %d", e.Count, big)
				}
			}
			if big <= math.MaxInt64/2 {
				t.Fatal("the test's count does not overflow when doubled")
			}
		})
	}
}
