package control

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/procstat"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/results"
)

// workerSecond is one second of a worker's measurements: entries entries
// with perEntry requests each, latencies log-normally spread around 20 ms
// (from about 2 ms to 200 ms), so that histograms use hundreds of buckets
// as real ones do, and 1 % failures.
func workerSecond(worker, entries, perEntry int) *results.Delta {
	keys := make([]results.EntryKey, entries)
	for i := range keys {
		keys[i] = results.EntryKey{Method: "GET", Name: fmt.Sprintf("/endpoint/%d", i)}
	}
	rec := results.NewRecorder(keys)
	rnd := rand.New(rand.NewPCG(uint64(worker), 1))
	for e := range entries {
		for i := range perEntry {
			lat := time.Duration(20e6 * math.Exp(rnd.NormFloat64()))
			if i%100 == 99 {
				rec.Failure(e, lat, 0, "HTTP 503 Service Unavailable")
			} else {
				rec.Success(e, lat, 512)
			}
		}
	}
	d := results.NewDelta()
	rec.Drain(d)
	return d
}

// benchCoordinator is a coordinator in the running phase with n workers
// registered, driven through its handler without a network.
func benchCoordinator(b *testing.B, n int) (*Coordinator, http.Handler, []string) {
	c, err := NewCoordinator(CoordinatorConfig{Spec: testSpec("http://127.0.0.1:9"), Users: n, Token: "t", MissedHeartbeats: 1000})
	if err != nil {
		b.Fatal(err)
	}
	h := c.Handler()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "worker-" + strconv.Itoa(i)
		body, _ := json.Marshal(wire.RegisterRequest{V: 1, ID: ids[i], Host: "h", Cores: 4, PID: i + 1})
		req := httptest.NewRequest(http.MethodPost, wire.PathRegister, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("register: %d %s", rec.Code, rec.Body)
		}
	}
	c.mu.Lock()
	c.state = runRunning
	c.start = time.Now()
	c.stats = loadgen.NewStats(c.start, false, 0)
	c.mu.Unlock()
	return c, h, ids
}

// BenchmarkCoordinatorSecond is the coordinator's work for one second of
// a run with 100 workers, each reporting 20 entries: authenticate, read,
// decode, validate and merge 100 reports through the HTTP handler, then
// collect them into the run's statistics, close the interval and take the
// snapshot the live table shows. ns/op is CPU time per second of run time
// on one core, so 10 ms/op is 1 % of a core. The network stack's own cost
// is not included (see BenchmarkCoordinatorLoopback).
func BenchmarkCoordinatorSecond(b *testing.B) {
	for _, perEntry := range []int{50, 500} {
		b.Run(fmt.Sprintf("100workers-20entries-%dreq", perEntry), func(b *testing.B) {
			benchSecond(b, 100, 20, perEntry)
		})
	}
}

func benchSecond(b *testing.B, workers, entries, perEntry int) {
	c, h, ids := benchCoordinator(b, workers)
	deltas := make([][]byte, workers)
	size := 0
	for i := range deltas {
		var err error
		if deltas[i], err = json.Marshal(workerSecond(i, entries, perEntry)); err != nil {
			b.Fatal(err)
		}
		size += len(deltas[i])
	}
	now := time.Now()
	seq := uint64(0)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := procstat.CPU()
	for b.Loop() {
		seq++
		for i := range deltas {
			req := httptest.NewRequest(http.MethodPost, wire.ReportRequest{ID: ids[i], Run: c.RunID(), Seq: seq}.Query(), bytes.NewReader(deltas[i]))
			req.Header.Set("Authorization", "Bearer t")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("report: %d %s", rec.Code, rec.Body)
			}
		}
		now = now.Add(time.Second)
		_ = c.collect(now, true)
	}
	b.ReportMetric(float64(size)/float64(workers), "bytes/report")
	reportCPU(b, cpu0)
}

// BenchmarkCoordinatorLoopback sends the same second of 100 reports over
// loopback HTTP with keep-alive. The clients run in the same process, so
// ns/op is an upper bound on the coordinator's cost: it includes the
// sending side.
func BenchmarkCoordinatorLoopback(b *testing.B) {
	c, h, ids := benchCoordinator(b, 100)
	srv := httptest.NewServer(h)
	defer srv.Close()
	delta, err := json.Marshal(workerSecond(1, 20, 50))
	if err != nil {
		b.Fatal(err)
	}
	hc := srv.Client()
	seq := uint64(0)
	now := time.Now()
	b.ResetTimer()
	cpu0 := procstat.CPU()
	for b.Loop() {
		seq++
		for i := range ids {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+wire.ReportRequest{ID: ids[i], Run: c.RunID(), Seq: seq}.Query(), bytes.NewReader(delta))
			req.Header.Set("Authorization", "Bearer t")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("report: HTTP %d", resp.StatusCode)
			}
		}
		now = now.Add(time.Second)
		_ = c.collect(now, true)
	}
	reportCPU(b, cpu0)
}

// reportCPU reports CPU time per op, and as a share of one core when an op
// is one second of run time: on a shared machine it is steadier than
// ns/op, which counts time spent waiting for a core.
func reportCPU(b *testing.B, cpu0 time.Duration) {
	per := float64(procstat.CPU()-cpu0) / float64(b.N)
	b.ReportMetric(per/1e6, "cpu-ms/op")
	b.ReportMetric(per/1e9*100, "%core")
}
