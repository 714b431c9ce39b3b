package threshold_test

import (
	"fmt"
	"os"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/threshold"
)

func Example() {
	// Parse before the run, so that a typo stops it at once.
	ts, err := threshold.ParseAll([]string{
		"p99<250ms",
		`p95{name="GET /albums"}<100ms`,
		"fail_ratio<1%",
		"rps>500",
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// A run of 10 seconds: 200 requests to GET /albums taking 1 to 200
	// milliseconds, 4 of them failed.
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	rec := results.NewRecorder([]results.EntryKey{{Method: "GET", Name: "/albums"}})
	for i := 1; i <= 200; i++ {
		if i%50 == 0 {
			rec.Failure(0, time.Duration(i)*time.Millisecond, 0, "HTTP 503 Service Unavailable")
		} else {
			rec.Success(0, time.Duration(i)*time.Millisecond, 512)
		}
	}
	agg := results.NewAggregator(start, results.AggregatorOptions{})
	d := results.NewDelta()
	rec.Drain(d)
	if err := agg.Add(d); err != nil {
		fmt.Println(err)
		return
	}
	snap := agg.Snapshot(start.Add(10 * time.Second))

	rs, ok := threshold.EvaluateAll(ts, snap)
	if err := threshold.WriteSummary(os.Stdout, rs); err != nil {
		fmt.Println(err)
	}
	fmt.Println("all passed:", ok)
	// Output:
	// THRESHOLD                      MEASURED       RESULT  NOTE
	// p99<250ms                      198.015ms      PASS
	// p95{name="GET /albums"}<100ms  190.079ms      FAIL  1 entry: GET /albums
	// fail_ratio<1%                  2% (4 of 200)  FAIL
	// rps>500                        20.00/s        FAIL
	// 3 of 4 thresholds FAILED
	// all passed: false
}

func ExampleParse() {
	_, err := threshold.Parse("p99<25Oms")
	fmt.Println(err)

	t, _ := threshold.Parse(" p99 < 0.25s ")
	fmt.Println(t)
	// Output:
	// threshold "p99<25Oms": at column 5: bad duration "25Oms"; write a number and a unit (us, ms, s or m), such as 250ms; a bare number is milliseconds
	// p99<250ms
}
