package results

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// drainInBackground drains the recorders every millisecond, as a run's
// flusher does, until stop is called.
func drainInBackground(recs func() []*Recorder) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d := NewDelta()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				for _, r := range recs() {
					r.Drain(d)
				}
				d.Reset()
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// BenchmarkRecorderSuccess is the per-request cost a user pays to record,
// with a flusher draining concurrently.
func BenchmarkRecorderSuccess(b *testing.B) {
	r := NewRecorder(testKeys)
	stop := drainInBackground(func() []*Recorder { return []*Recorder{r} })
	defer stop()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r.Success(i&1, time.Duration(i&0xffff)*time.Microsecond, 512)
	}
}

// BenchmarkRecorderSuccessAlone is the same cost without a concurrent
// drainer: the drains run with the timer stopped.
func BenchmarkRecorderSuccessAlone(b *testing.B) {
	r := NewRecorder(testKeys)
	d := NewDelta()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r.Success(i&1, time.Duration(i&0xffff)*time.Microsecond, 512)
		if i%4000 == 3999 {
			b.StopTimer()
			r.Drain(d)
			d.Reset()
			b.StartTimer()
		}
	}
}

// BenchmarkRecorderSuccessParallel records from every P, each with its own
// recorder, to show that users do not contend.
func BenchmarkRecorderSuccessParallel(b *testing.B) {
	var mu sync.Mutex
	var recs []*Recorder
	stop := drainInBackground(func() []*Recorder {
		mu.Lock()
		defer mu.Unlock()
		return append([]*Recorder(nil), recs...)
	})
	defer stop()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := NewRecorder(testKeys)
		mu.Lock()
		recs = append(recs, r)
		mu.Unlock()
		i := 0
		for pb.Next() {
			i++
			r.Success(i&1, time.Duration(i&0xffff)*time.Microsecond, 512)
		}
	})
}

// BenchmarkDrain is the flusher's cost per recorded request.
func BenchmarkDrain(b *testing.B) {
	r := NewRecorder(testKeys)
	d := NewDelta()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r.Success(i&1, time.Duration(500+i%20000)*time.Microsecond, 512)
		if i%1000 == 999 {
			r.Drain(d)
			d.Reset()
		}
	}
	r.Drain(d)
}

// workerDelta builds a delta like one second of a worker's report:
// entries entries, perEntry requests each.
func workerDelta(entries, perEntry int) *Delta {
	keys := make([]EntryKey, entries)
	for i := range keys {
		keys[i] = EntryKey{"GET", fmt.Sprintf("/endpoint/%d", i)}
	}
	r := NewRecorder(keys)
	for e := range entries {
		for i := range perEntry {
			r.Success(e, time.Duration(800+(i*7919)%50000)*time.Microsecond, 512)
		}
	}
	d := NewDelta()
	r.Drain(d)
	return d
}

// BenchmarkWorkerReport is a worker's cost to encode one second's report
// of 20 entries with a long-lived codec.
func BenchmarkWorkerReport(b *testing.B) {
	d := workerDelta(20, 500)
	var c DeltaCodec
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Marshal(d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCoordinatorSecond is what a coordinator does each second for
// 100 workers reporting 20 entries: decode every report and add it. Its
// ns/op is the coordinator's CPU time per second of run time.
func BenchmarkCoordinatorSecond(b *testing.B) {
	body, err := json.Marshal(workerDelta(20, 500))
	if err != nil {
		b.Fatal(err)
	}
	a := NewAggregator(time.Unix(0, 0), AggregatorOptions{})
	var c DeltaCodec
	var d Delta
	b.ReportAllocs()
	sec := 0
	for b.Loop() {
		for range 100 {
			if err := c.Unmarshal(body, &d); err != nil {
				b.Fatal(err)
			}
			if err := a.Add(&d); err != nil {
				b.Fatal(err)
			}
		}
		sec++
		a.Tick(time.Unix(int64(sec), 0), 100)
	}
	b.ReportMetric(float64(len(body)), "bytes/report")
}

func BenchmarkSnapshot20Entries(b *testing.B) {
	a := NewAggregator(time.Unix(0, 0), AggregatorOptions{EntryHistory: true})
	if err := a.Add(workerDelta(20, 2000)); err != nil {
		b.Fatal(err)
	}
	a.Tick(time.Unix(1, 0), 10)
	b.ReportAllocs()
	for b.Loop() {
		_ = a.Snapshot(time.Unix(2, 0))
	}
}

// BenchmarkHistoryHour reports the memory one hour of per-second history
// takes with 20 entries and per-entry history.
func BenchmarkHistoryHour(b *testing.B) {
	for b.Loop() {
		a := NewAggregator(time.Unix(0, 0), AggregatorOptions{EntryHistory: true})
		d := workerDelta(20, 1)
		for s := 1; s <= 3600; s++ {
			if err := a.Add(d); err != nil {
				b.Fatal(err)
			}
			a.Tick(time.Unix(int64(s), 0), 10)
		}
		rows := len(a.history)
		size := rows * (int(unsafe.Sizeof(HistoryRow{})) + 20*int(unsafe.Sizeof(HistoryPoint{})))
		b.ReportMetric(float64(size)/(1<<20), "MiB/hour")
		runtime.KeepAlive(a)
	}
}
