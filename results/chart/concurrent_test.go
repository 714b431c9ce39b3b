package chart

import (
	"bytes"
	"io"
	"sync"
	"testing"
)

// TestConcurrentRendering draws charts from several goroutines at once, as
// a web server does; the race detector checks that nothing is shared
// unsafely, and every output must match a chart drawn alone.
func TestConcurrentRendering(t *testing.T) {
	d := sweep()
	_, times, _ := hour()
	for i := range times {
		times[i].T, times[i].V = times[i].T[:600], times[i].V[:600]
	}
	jobs := []func(io.Writer) error{
		func(w io.Writer) error { return Throughput(w, SVG, d, Options{Title: "x"}) },
		func(w io.Writer) error { return TimeSeries(w, SVG, times, Options{Title: "t"}) },
		func(w io.Writer) error { return Throughput(w, PNG, d, Options{Width: 300, Height: 200}) },
	}
	want := make([][]byte, len(jobs))
	for i, j := range jobs {
		var b bytes.Buffer
		if err := j(&b); err != nil {
			t.Fatal(err)
		}
		want[i] = b.Bytes()
	}
	var wg sync.WaitGroup
	got := make([][]byte, 3*len(jobs))
	errs := make([]error, len(got))
	for i := range got {
		wg.Go(func() {
			var b bytes.Buffer
			errs[i] = jobs[i%len(jobs)](&b)
			got[i] = b.Bytes()
		})
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(got[i], want[i%len(jobs)]) {
			t.Errorf("job %d drew differently when run concurrently", i%len(jobs))
		}
	}
}

func BenchmarkTimeSeriesHourSVG(b *testing.B) {
	_, times, _ := hour()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := TimeSeries(&buf, SVG, times, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/svg")
}

func BenchmarkThroughputPNG(b *testing.B) {
	d := sweep()
	for b.Loop() {
		if err := Throughput(io.Discard, PNG, d, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
