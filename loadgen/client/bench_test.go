package client

import (
	"context"
	"fmt"
	"github.com/loadgen/loadgen/internal/rawhttp"
	"net/http"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// benchURLEnv names a server for BenchmarkDo to load instead of its own
// in-process one, so that the CPU it reports is the client's alone (see
// scripts/bench-clients.sh, which pins each side to its own core). The
// server must answer GET {url}/albums/4 and POST {url}/albums.
const benchURLEnv = "LOADGEN_CLIENT_BENCH_URL"

// benchServeEnv makes the test binary a rawhttp server listening at the given
// loopback address, for the far side of scripts/bench-clients.sh.
const benchServeEnv = "LOADGEN_CLIENT_BENCH_SERVE"

func TestMain(m *testing.M) {
	if addr := os.Getenv(benchServeEnv); addr != "" {
		os.Exit(serveForBench(addr))
	}
	if spec := os.Getenv(hostileChildEnv); spec != "" {
		os.Exit(runHostileChild(spec))
	}
	os.Exit(m.Run())
}

// serveForBench runs a rawhttp server until the process is killed.
func serveForBench(addr string) int {
	s, err := rawhttp.Listen(addr, 200, albumJSON)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(s.URL)
	s.Wait()
	return 0
}

// BenchmarkDo measures one request on a kept-alive connection, with
// allocations, and the process CPU per request as cpu-us/op. Against the
// in-process server that CPU includes the server's; against a server in
// another process (LOADGEN_CLIENT_BENCH_URL) it is the client's alone.
func BenchmarkDo(b *testing.B) {
	base := os.Getenv(benchURLEnv)
	if base == "" {
		base = rawhttp.New(b, albumJSON).URL
	}
	reqs := hotPathRequests(base)
	for _, kind := range Kinds() {
		for _, method := range []string{"GET", "POST"} {
			b.Run(kind+"/"+method, func(b *testing.B) {
				c, err := New(kind, Options{Timeout: 10 * time.Second})
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				req := reqs[method]
				if _, err := c.Do(ctx, req); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				cpu0 := cpuTime()
				b.ResetTimer()
				for b.Loop() {
					resp, err := c.Do(ctx, req)
					if err != nil {
						b.Fatal(err)
					}
					if resp.Status >= http.StatusBadRequest {
						b.Fatalf("status %d", resp.Status)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
			})
		}
	}
}

// BenchmarkDoUsers is BenchmarkDo with 50 users at once, each with its own
// client and connection, as in a load test: the per-request CPU is what the
// client costs when the runtime can batch network waits across users.
func BenchmarkDoUsers(b *testing.B) {
	const users = 50
	base := os.Getenv(benchURLEnv)
	if base == "" {
		base = rawhttp.New(b, albumJSON).URL
	}
	reqs := hotPathRequests(base)
	for _, kind := range Kinds() {
		for _, method := range []string{"GET", "POST"} {
			b.Run(kind+"/"+method, func(b *testing.B) {
				req := reqs[method]
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				b.ReportAllocs()
				b.SetParallelism((users + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
				cpu0 := cpuTime()
				b.RunParallel(func(pb *testing.PB) {
					c, err := New(kind, Options{Timeout: 10 * time.Second})
					if err != nil {
						b.Error(err)
						return
					}
					defer c.Close()
					for pb.Next() {
						resp, err := c.Do(ctx, req)
						if err != nil {
							b.Error(err)
							return
						}
						if resp.Status >= http.StatusBadRequest {
							b.Errorf("status %d", resp.Status)
							return
						}
					}
				})
				b.StopTimer()
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
			})
		}
	}
}

// cpuTime is the CPU the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
