package hiccup

import (
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestMeasureCountsAStall: the third of five sleeps oversleeps by 30 ms; it
// is the one stall, and the latest wake-up.
func TestMeasureCountsAStall(t *testing.T) {
	i := 0
	sleep := func(d time.Duration) {
		i++
		if i == 3 {
			d += 30 * time.Millisecond
		}
		time.Sleep(d)
	}
	s := Measure(5, time.Millisecond, 20*time.Millisecond, sleep)
	if s.Wakeups != 5 || s.Stalls != 1 {
		t.Fatalf("%+v, want 5 wake-ups and 1 stall", s)
	}
	if s.Max < 30*time.Millisecond || s.Stalled < 30*time.Millisecond || s.Stalled > s.Max {
		t.Errorf("%+v: want the stall's 30 ms or more as the max and the time stalled", s)
	}
}

// TestMeasureWithTheSystemSleep: the real sleep wakes, and a quiet wait is
// not counted as a stall of its own length.
func TestMeasureWithTheSystemSleep(t *testing.T) {
	begin := time.Now()
	s := Measure(20, time.Millisecond, time.Second, nil)
	if took := time.Since(begin); took < 20*time.Millisecond {
		t.Fatalf("20 sleeps of 1 ms took %v", took)
	}
	if s.Wakeups != 20 || s.Stalls != 0 || s.Max < 0 || s.Max > time.Second {
		t.Errorf("%+v: want 20 wake-ups and no stall over a second", s)
	}
}

// BenchmarkMachineStalls sleeps 5 ms b.N times and reports the latest
// wake-up and the stalls over LOADGEN_HICCUP_MS (5 ms by default); run it
// pinned to a core beside a load test, with -benchtime Nx for 5N ms. A
// shorter sleep costs the core it shares more: 5,000 wake-ups a second
// beside an open-model run at 20,000/s once made it fall 100 ms behind.
func BenchmarkMachineStalls(b *testing.B) {
	threshold := 5 * time.Millisecond
	if v := os.Getenv("LOADGEN_HICCUP_MS"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			b.Fatalf("LOADGEN_HICCUP_MS=%q: want a positive number of milliseconds", v)
		}
		threshold = time.Duration(ms) * time.Millisecond
	}
	s := Measure(b.N, 5*time.Millisecond, threshold, nil)
	b.ReportMetric(float64(s.Max)/1e6, "max-ms")
	b.ReportMetric(float64(s.Stalls), "stalls")
	b.ReportMetric(float64(s.Stalled)/1e6, "stalled-ms")
	b.ReportMetric(0, "ns/op")
}

// TestMeterSeesAStallOfItsProcess: a meter in a process whose only
// processor is held by a goroutine that never yields sees the stall, since
// its thread must get back into the runtime to note the time; Take starts
// over, and Stop ends the meter. The runtime preempts such a goroutine
// after about 10 ms, so the stall seen is that long rather than the
// spin's 60 ms.
func TestMeterSeesAStallOfItsProcess(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	m := StartMeter(time.Millisecond, 5*time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	m.Take() // the start, before anything held it up
	spin := time.Now()
	for time.Since(spin) < 60*time.Millisecond {
		// A loop without calls: the runtime may still preempt it
		// asynchronously, so the stall seen can be shorter than the spin.
	}
	time.Sleep(10 * time.Millisecond)
	s := m.Take()
	m.Stop()
	m.Stop()
	if s.Wakeups == 0 || s.Stalls == 0 || s.Max < 5*time.Millisecond || s.Stalled < s.Max {
		t.Fatalf("%+v: want a stall of 5 ms or more while the processor spun", s)
	}
	if after := m.Take(); after.Wakeups > 1 {
		t.Errorf("%+v after Stop, want the meter stopped", after)
	}
}
