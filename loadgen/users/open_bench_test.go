package users

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/schedule"
)

// openBenchRate is the default arrival rate of BenchmarkOpenDispatch.
const openBenchRate = 5000

// BenchmarkOpenDispatch runs b.N real HTTP requests on a 5,000/s open
// schedule and reports how closely they kept it: the dispatch delay (from
// the intended time to the actual send) at p50 and p99, the late and
// dropped requests, and the process's CPU per request. "precise" is the
// dispatcher as it runs; "coarse" waits on Go's timers alone, which prices
// the precise wait. The target is LOADGEN_OPEN_BENCH_URL when set (make
// bench points it at albumsvc on the other core), otherwise a server in
// this process; LOADGEN_OPEN_BENCH_RATE sets another rate. Run it with a
// count, e.g. -benchtime 25000x for 5 s.
func BenchmarkOpenDispatch(b *testing.B) {
	b.Run("precise", func(b *testing.B) { benchOpenDispatch(b, false) })
	b.Run("coarse", func(b *testing.B) { benchOpenDispatch(b, true) })
}

func benchOpenDispatch(b *testing.B, coarse bool) {
	url := os.Getenv("LOADGEN_OPEN_BENCH_URL")
	if url == "" {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"id":1}`))
		}))
		defer srv.Close()
		url = srv.URL
	}
	rate := float64(openBenchRate)
	if s := os.Getenv("LOADGEN_OPEN_BENCH_RATE"); s != "" {
		if _, err := fmt.Sscan(s, &rate); err != nil || rate <= 0 {
			b.Fatalf("LOADGEN_OPEN_BENCH_RATE=%q: want a positive rate per second", s)
		}
	}
	d := time.Duration(float64(b.N) / rate * float64(time.Second))
	arrivals, err := schedule.NewArrivals(schedule.ArrivalConstant, schedule.Constant(rate).Until(d), 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	get := Task{Method: "GET", Name: "bench", Weight: 1, Run: func(ctx context.Context, u *User) (int64, error) {
		u.Req.URL = url
		resp, err := u.Client.Do(ctx, &u.Req)
		if err == nil && resp.Status != http.StatusOK {
			err = &StatusError{Code: resp.Status}
		}
		return resp.Bytes, err
	}}
	r, err := NewDispatcher(DispatcherConfig{
		Tasks:    []Task{get},
		Arrivals: arrivals,
		NewClient: func() (client.Client, error) {
			return client.New(client.KindFastHTTP, client.Options{Timeout: 10 * time.Second})
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	r.coarse = coarse
	cpu0 := processCPU()
	b.ResetTimer()
	if err := r.Run(context.Background(), time.Now()); err != nil {
		b.Fatal(err)
	}
	r.Stop(10 * time.Second)
	b.StopTimer()
	cpu := processCPU() - cpu0
	st := r.Stats()
	if st.Sent == 0 {
		b.Fatal("nothing was sent")
	}
	b.ReportMetric(float64(r.DispatchDelay(0.5).Microseconds()), "delay-p50-us")
	b.ReportMetric(float64(r.DispatchDelay(0.99).Microseconds()), "delay-p99-us")
	b.ReportMetric(float64(r.DispatchDelay(0.999).Microseconds()), "delay-p99.9-us")
	b.ReportMetric(float64(st.Late), "late")
	b.ReportMetric(float64(st.Dropped), "dropped")
	b.ReportMetric(float64(st.Slots), "slots")
	b.ReportMetric(float64(cpu.Microseconds())/float64(st.Sent), "cpu-us/req")
	b.ReportMetric(0, "ns/op") // the rate sets the time per request, not the code
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "open dispatch: %+v\n", st)
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRampUsers measures what starting a user costs the runner
// itself: its client made (not yet connected), its state, its place in the
// sleep queue, its first task (which does nothing here) and its first
// wait, as b.N users ramp up at 100,000 a second. cpu-us/user is the
// process's CPU per user; the users' dials and requests, which a real run
// adds, are not in it.
func BenchmarkRampUsers(b *testing.B) {
	nop := Task{Method: "GET", Name: "x", Weight: 1, Run: func(context.Context, *User) (int64, error) { return 0, nil }}
	r, err := New(Config{
		Tasks: []Task{nop},
		Wait:  constantWait(time.Hour),
		NewClient: func() (client.Client, error) {
			return client.New(client.KindFastHTTP, client.Options{Timeout: 10 * time.Second})
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Stop(time.Second)
	b.ReportAllocs()
	cpu0 := processCPU()
	b.ResetTimer()
	if err := r.Ramp(context.Background(), b.N, 100_000); err != nil {
		b.Fatal(err)
	}
	// The users have started once each has run its first task and is
	// asleep.
	for r.sleepingUsers() < b.N {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-us/user")
}
