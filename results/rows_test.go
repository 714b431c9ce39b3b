package results

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestRows(t *testing.T) {
	a, b, c := EntryKey{"GET", "/a"}, EntryKey{"GET", "/b"}, EntryKey{"POST", "/a"}
	r := NewRows(a, b, a)
	if r.Len() != 2 || r.Index(a) != 0 || r.Index(b) != 1 {
		t.Fatalf("rows %v", r.Keys())
	}
	before := r.Keys()
	if i := r.Index(c); i != 2 || r.Len() != 3 {
		t.Errorf("a new key got %d", i)
	}
	if len(before) != 2 {
		t.Error("an earlier Keys() changed")
	}
	if _, ok := r.Lookup(EntryKey{"GET", "/zzz"}); ok || r.Len() != 3 {
		t.Error("Lookup added a key")
	}
}

func TestRowsConcurrent(t *testing.T) {
	r := NewRows()
	var wg sync.WaitGroup
	got := make([][]int, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				got[g] = append(got[g], r.Index(EntryKey{"GET", fmt.Sprint(i)}))
			}
		})
	}
	wg.Wait()
	if r.Len() != 100 {
		t.Fatalf("%d rows, want 100", r.Len())
	}
	for g := range got {
		for i, idx := range got[g] {
			if r.Keys()[idx].Name != fmt.Sprint(i) {
				t.Fatalf("goroutine %d: key %d at index %d is %v", g, i, idx, r.Keys()[idx])
			}
		}
	}
}

// TestRecorderGrows: entries added to the rows after the recorder was
// made are recorded and drained like the first ones, with failures.
func TestRecorderGrows(t *testing.T) {
	rows := NewRows(EntryKey{"GET", "/first"})
	rec := NewRowsRecorder(rows)
	rec.Success(0, time.Millisecond, 10)
	late := rows.Index(EntryKey{"GET", "/late"})
	rec.Success(late, 2*time.Millisecond, 20)
	rec.Failure(late, 3*time.Millisecond, 0, "boom")
	d := NewDelta()
	rec.Drain(d)
	later := rows.Index(EntryKey{"POST", "/later"})
	rec.Success(later, time.Millisecond, 1)
	rec.Drain(d)
	a := NewAggregator(time.Now(), AggregatorOptions{})
	a.Add(d)
	s := a.Snapshot(time.Now())
	for _, want := range []struct {
		key         EntryKey
		count, fail int64
	}{{EntryKey{"GET", "/first"}, 1, 0}, {EntryKey{"GET", "/late"}, 2, 1}, {EntryKey{"POST", "/later"}, 1, 0}} {
		e, ok := s.Entry(want.key)
		if !ok || e.Count() != want.count || e.Failures() != want.fail {
			t.Errorf("%v: %v %+v", want.key, ok, e)
		}
	}
	if len(s.Errors) != 1 || s.Errors[0].Name != "/late" {
		t.Errorf("errors %+v", s.Errors)
	}
}
