package results

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestExceptionsAndSkipped follows exceptions and skipped requests from
// two workers' recorders, over the wire, into one snapshot, as a
// coordinator sees them.
func TestExceptionsAndSkipped(t *testing.T) {
	keys := []EntryKey{{"GET", "/a"}, {"POST", "/b"}}
	var wire [][]byte
	for w, node := range []string{"w1", "w2"} {
		rec := NewRecorder(keys)
		rec.Exception("runtime error: index out of range", "goroutine 1:\nmain.task()")
		if w == 1 {
			rec.Exception("runtime error: index out of range", "goroutine 1:\nmain.task()")
			rec.Exception("other", "tb")
		}
		rec.Skip(1, 2)
		rec.Skip(1, 0)
		d := NewDelta()
		rec.Drain(d)
		d.SetNode(node)
		b, err := d.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		wire = append(wire, b)
	}
	agg := NewAggregator(time.Now(), AggregatorOptions{})
	for _, b := range wire {
		d := NewDelta()
		if err := d.UnmarshalJSON(b); err != nil {
			t.Fatal(err)
		}
		if d.Empty() {
			t.Error("a delta with only exceptions is empty")
		}
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	s := agg.Snapshot(time.Now())
	if len(s.Exceptions) != 2 {
		t.Fatalf("exceptions %+v", s.Exceptions)
	}
	first := s.Exceptions[0]
	if first.Count != 3 || first.Message != "runtime error: index out of range" || !slices.Equal(first.Nodes, []string{"w1", "w2"}) {
		t.Errorf("first group %+v", first)
	}
	if s.Exceptions[1].Count != 1 || !slices.Equal(s.Exceptions[1].Nodes, []string{"w2"}) {
		t.Errorf("second group %+v", s.Exceptions[1])
	}
	if len(s.Skipped) != 1 || s.Skipped[0].EntryKey != keys[1] || s.Skipped[0].Count != 4 {
		t.Errorf("skipped %+v", s.Skipped)
	}
	agg.Reset(time.Now())
	if s := agg.Snapshot(time.Now()); len(s.Exceptions)+len(s.Skipped) != 0 {
		t.Errorf("after a reset: %+v %+v", s.Exceptions, s.Skipped)
	}
}

func TestExceptionsBounded(t *testing.T) {
	rec := NewRecorder([]EntryKey{{"GET", "/"}})
	for i := range maxExceptionGroups + 20 {
		rec.Exception(fmt.Sprint("panic ", i), fmt.Sprint(i)+strings.Repeat("x", maxTracebackBytes+10))
	}
	d := NewDelta()
	rec.Drain(d)
	agg := NewAggregator(time.Now(), AggregatorOptions{})
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	s := agg.Snapshot(time.Now())
	total := int64(0)
	for _, e := range s.Exceptions {
		total += e.Count
		if len(e.Traceback) > maxTracebackBytes+4 {
			t.Fatalf("a traceback of %d bytes was kept", len(e.Traceback))
		}
	}
	if len(s.Exceptions) != maxExceptionGroups+1 || total != maxExceptionGroups+20 {
		t.Errorf("%d groups counting %d, want %d groups counting every exception", len(s.Exceptions), total, maxExceptionGroups+1)
	}
}

func TestNotesWireValidation(t *testing.T) {
	for _, bad := range []string{
		`{"version":1,"entries":[],"errors":[],"exceptions":[{"message":"m","traceback":"t","count":0}]}`,
		`{"version":1,"entries":[],"errors":[],"exceptions":[{"message":"m","traceback":"t","count":1},{"message":"m","traceback":"t","count":1}]}`,
		`{"version":1,"entries":[],"errors":[],"skipped":[{"method":"GET","name":"/","count":-1}]}`,
	} {
		if err := NewDelta().UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
