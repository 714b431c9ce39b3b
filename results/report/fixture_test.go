package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var fixtureStart = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// fixtureSnapshot builds a deterministic run: three entries over five
// seconds, with failures on one of them and a paced (corrected) series on
// another.
func fixtureSnapshot(t testing.TB) *results.Snapshot {
	t.Helper()
	keys := []results.EntryKey{
		{Method: "GET", Name: "/albums"},
		{Method: "POST", Name: "/albums"},
		{Method: "GET", Name: "/albums/{id}"},
	}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{EntryHistory: true})
	rec := results.NewRecorder(keys)
	d := results.NewDelta()
	seed := uint32(12345)
	next := func() uint32 { seed = seed*1664525 + 1013904223; return seed >> 8 }
	for sec := 1; sec <= 5; sec++ {
		for i := range 40 * sec {
			lat := time.Duration(800+next()%9000) * time.Microsecond
			switch i % 4 {
			case 0, 1:
				rec.Success(0, lat, 2048)
			case 2:
				if i%20 == 2 {
					rec.Observe(1, results.Observation{
						Latency: lat * 3, Err: results.StatusFailure(503),
						At: fixtureStart.Add(time.Duration(sec)*time.Second - 500*time.Millisecond),
					})
				} else {
					rec.Success(1, lat*3, 96)
				}
			case 3:
				rec.SuccessCO(2, lat/4, 180, 2*time.Millisecond)
			}
		}
		if sec == 3 {
			rec.Observe(1, results.Observation{
				Latency: 2 * time.Second, Err: "context deadline exceeded",
				At: fixtureStart.Add(2500 * time.Millisecond),
			})
		}
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		d.Reset()
		agg.Tick(fixtureStart.Add(time.Duration(sec)*time.Second), 10*sec)
	}
	return agg.Snapshot(fixtureStart.Add(5 * time.Second))
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run go test -update if the change is intended)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}
