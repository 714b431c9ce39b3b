package results

import (
	"testing"
	"time"
)

func TestToMicros(t *testing.T) {
	tests := []struct {
		in      time.Duration
		want    int64
		clamped bool
	}{
		{0, 0, false},
		{400 * time.Nanosecond, 0, false},
		{500 * time.Nanosecond, 1, false},
		{1499 * time.Nanosecond, 1, false},
		{10 * time.Millisecond, 10_000, false},
		{-time.Nanosecond, 0, true},
		{-time.Hour, 0, true},
		{MaxLatency, HighestMicros, false},
		{MaxLatency + time.Second, HighestMicros, true},
		{time.Duration(1<<63 - 1), HighestMicros, true},
	}
	for _, tt := range tests {
		got, clamped := ToMicros(tt.in)
		if got != tt.want || clamped != tt.clamped {
			t.Errorf("ToMicros(%v) = %d, %v; want %d, %v", tt.in, got, clamped, tt.want, tt.clamped)
		}
	}
}

func TestHistogramGeometryCoversAtLeastOneHour(t *testing.T) {
	h := NewHistogram()
	if err := h.RecordValue(int64(time.Hour / time.Microsecond)); err != nil {
		t.Fatalf("one hour does not fit: %v", err)
	}
	if err := h.RecordValue(HighestMicros); err != nil {
		t.Fatalf("HighestMicros does not fit: %v", err)
	}
	if err := checkGeometry(h); err != nil {
		t.Fatal(err)
	}
	if err := checkGeometry(NewPackedHistogram()); err != nil {
		t.Fatal(err)
	}
}

func TestOutOfRangeLatenciesAreClampedAndCounted(t *testing.T) {
	r := NewRecorder([]EntryKey{{"GET", "/a"}})
	r.Success(0, -5*time.Millisecond, 0)
	r.Success(0, 30*time.Hour, 0)
	r.Success(0, time.Millisecond, 0)
	d := NewDelta()
	r.Drain(d)
	a := NewAggregator(time.Unix(0, 0), AggregatorOptions{})
	if err := a.Add(d); err != nil {
		t.Fatal(err)
	}
	s := a.Snapshot(time.Unix(1, 0))
	e := s.Entries[0]
	if e.Count() != 3 || e.Clamped() != 2 || s.Total.Clamped() != 2 {
		t.Fatalf("count %d clamped %d total clamped %d; want 3, 2, 2", e.Count(), e.Clamped(), s.Total.Clamped())
	}
	if e.Min() != 0 || e.Max() != MaxLatency {
		t.Errorf("min %v max %v; want 0 and %v", e.Min(), e.Max(), MaxLatency)
	}
	if e.Latency().Count() != 3 {
		t.Errorf("histogram holds %d values, want 3 (clamped values are kept)", e.Latency().Count())
	}
}
