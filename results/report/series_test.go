package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
)

func snapshotOf(t *testing.T, record func(r *results.Recorder)) *results.Snapshot {
	t.Helper()
	keys := []results.EntryKey{{Method: "GET", Name: "/a"}}
	r := results.NewRecorder(keys)
	record(r)
	d := results.NewDelta()
	r.Drain(d)
	start := time.Unix(1700000000, 0)
	agg := results.NewAggregator(start, results.AggregatorOptions{})
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	agg.Tick(start.Add(time.Second), 1)
	return agg.Snapshot(start.Add(time.Second))
}

func TestWriteSecondarySeries(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name   string
		record func(r *results.Recorder)
		want   []string
		absent []string
	}{
		{"no secondary series", func(r *results.Recorder) {
			for range 100 {
				r.Success(0, 5*ms, 1)
			}
		}, nil, []string{"corrected", "service"}},
		{"a stall hidden by pacing", func(r *results.Recorder) {
			for range 99 {
				r.SuccessCO(0, 2*ms, 1, 10*ms)
			}
			r.SuccessCO(0, time.Second, 1, 10*ms)
		}, []string{"Coordinated omission", "measured", "corrected"}, []string{"service"}},
		{"pacing that changes little", func(r *results.Recorder) {
			for range 100 {
				r.SuccessCO(0, 2*ms, 1, 10*ms)
			}
		}, nil, []string{"corrected"}},
		{"open model", func(r *results.Recorder) {
			for range 100 {
				r.Observe(0, results.Observation{Latency: 50 * ms, Service: 5 * ms, Bytes: 1})
			}
		}, []string{"Open model", "latency", "service"}, []string{"corrected"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteSecondarySeries(&b, snapshotOf(t, tt.record)); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(out, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
		})
	}
}
