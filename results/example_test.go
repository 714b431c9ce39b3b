package results_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/loadgen/loadgen/results"
)

// A user records into its own Recorder; a flusher drains every recorder into
// a Delta once a second, adds it to the Aggregator and closes the second.
func ExampleRecorder() {
	keys := []results.EntryKey{{Method: "GET", Name: "/albums"}, {Method: "POST", Name: "/albums"}}
	rec := results.NewRecorder(keys) // one per user

	// The user's goroutine, after each request:
	rec.Success(0, 12*time.Millisecond, 2048)
	rec.Success(0, 8*time.Millisecond, 2048)
	rec.Failure(1, 30*time.Millisecond, 0, results.StatusFailure(503))

	// The flusher's goroutine, once a second:
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	agg := results.NewAggregator(start, results.AggregatorOptions{})
	delta := results.NewDelta()
	rec.Drain(delta) // for every recorder
	if err := agg.Add(delta); err != nil {
		panic(err)
	}
	delta.Reset()
	agg.Tick(start.Add(time.Second), 1)

	snap := agg.Snapshot(start.Add(time.Second))
	for _, e := range snap.Entries {
		fmt.Printf("%s %s: %d requests, %d failed, max %v\n", e.Method(), e.Name(), e.Count(), e.Failures(), e.Max())
	}
	fmt.Printf("%s: %d requests, %.0f req/s\n", snap.Total.Name(), snap.Total.Count(), snap.Total.CurrentRPS())
	fmt.Println(snap.Errors[0].Error)
	// Output:
	// GET /albums: 2 requests, 0 failed, max 12ms
	// POST /albums: 1 requests, 1 failed, max 30ms
	// Aggregated: 3 requests, 3 req/s
	// HTTP 503 Service Unavailable
}

// Percentiles are fractions between 0 and 1; 1 is the exact maximum.
func ExampleEntryStats_Percentile() {
	rec := results.NewRecorder([]results.EntryKey{{Method: "GET", Name: "/albums/{id}"}})
	for i := range 1000 {
		if i%100 == 99 {
			rec.Success(0, 100*time.Millisecond, 0) // every 100th request is slow
		} else {
			rec.Success(0, 10*time.Millisecond, 0)
		}
	}
	agg := results.NewAggregator(time.Unix(0, 0), results.AggregatorOptions{})
	d := results.NewDelta()
	rec.Drain(d)
	if err := agg.Add(d); err != nil {
		panic(err)
	}
	e := agg.Snapshot(time.Unix(10, 0)).Entries[0]
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0fms", d.Seconds()*1000) }
	fmt.Println("p50", ms(e.Percentile(0.5)), "p99", ms(e.Percentile(0.99)), "p99.5", ms(e.Percentile(0.995)))
	fmt.Println("p100 == max:", e.Percentile(1) == e.Max(), e.Max())
	// Output:
	// p50 10ms p99 10ms p99.5 100ms
	// p100 == max: true 100ms
}

// A worker sends its interval as JSON; the coordinator decodes it and merges
// it exactly.
func ExampleDeltaCodec() {
	keys := []results.EntryKey{{Method: "GET", Name: "/albums"}}
	rec := results.NewRecorder(keys)
	rec.Success(0, 5*time.Millisecond, 100)
	rec.Success(0, 7*time.Millisecond, 100)

	var worker results.DeltaCodec
	d := results.NewDelta()
	rec.Drain(d)
	body, err := worker.Marshal(d)
	if err != nil {
		panic(err)
	}

	var coordinator results.DeltaCodec
	var received results.Delta
	if err := coordinator.Unmarshal(body, &received); err != nil {
		panic(err)
	}
	total := results.NewDelta()
	if err := total.Merge(&received); err != nil {
		panic(err)
	}
	n, failed := total.Totals()
	fmt.Println(n, "requests,", failed, "failed")
	// Output: 2 requests, 0 failed
}

func ExampleNormalizeError() {
	fmt.Println(results.NormalizeError(errors.New("dial tcp 127.0.0.1:54321: connect: connection refused")))
	fmt.Println(results.NormalizeError(errors.New("read tcp 127.0.0.1:40112->127.0.0.1:8080: read: connection reset by peer")))
	// Output:
	// dial tcp: connect: connection refused
	// read tcp: read: connection reset by peer
}
