package report_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// exampleSnapshot records a few requests and takes a snapshot.
func exampleSnapshot() *results.Snapshot {
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	keys := []results.EntryKey{{Method: "GET", Name: "/albums"}, {Method: "POST", Name: "/albums"}}
	rec := results.NewRecorder(keys)
	for i := range 100 {
		rec.Success(0, time.Duration(800+i*10)*time.Microsecond, 2048)
	}
	rec.Success(1, 12*time.Millisecond, 96)
	rec.Observe(1, results.Observation{Latency: 250 * time.Millisecond, Err: results.StatusFailure(503), At: start})
	agg := results.NewAggregator(start, results.AggregatorOptions{})
	d := results.NewDelta()
	rec.Drain(d)
	if err := agg.Add(d); err != nil {
		panic(err)
	}
	agg.Tick(start.Add(time.Second), 5)
	return agg.Snapshot(start.Add(time.Second))
}

func ExampleWriteSummary() {
	if err := report.WriteSummary(os.Stdout, exampleSnapshot()); err != nil {
		panic(err)
	}
	// Output:
	// Type     Name                      # reqs      # fails |    Avg     Min     Max    Med |   req/s  failures/s
	// --------|------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
	// GET      /albums                      100     0(0.00%) |    1.3    0.80     1.8    1.3 |  100.00        0.00
	// POST     /albums                        2    1(50.00%) |    131      12     250     12 |    2.00        1.00
	// --------|------------------------|-------|-------------|-------|-------|-------|-------|--------|-----------
	//          Aggregated                   102     1(0.98%) |    3.8    0.80     250    1.3 |  102.00        1.00
	//
	// Response time percentiles (milliseconds)
	// Type     Name                          50%    66%    75%    80%    90%    95%    98%    99%  99.9% 99.99%   100%   # reqs
	// --------|------------------------|--------|------|------|------|------|------|------|------|------|------|------|--------
	// GET      /albums                       1.3    1.5    1.5    1.6    1.7    1.7    1.8    1.8    1.8    1.8    1.8      100
	// POST     /albums                        12    250    250    250    250    250    250    250    250    250    250        2
	// --------|------------------------|--------|------|------|------|------|------|------|------|------|------|------|--------
	//          Aggregated                    1.3    1.5    1.6    1.6    1.7    1.8    1.8     12    250    250    250      102
	//
	// Error report
	// # occurrences      Error
	// ------------------|------------------------------------------------------------
	// 1                  POST /albums: HTTP 503 Service Unavailable
	// ------------------|------------------------------------------------------------
}

func ExampleWriteStatsCSV() {
	// Locust's columns and value types: whole milliseconds for the median
	// and the percentiles, floats with a decimal point elsewhere.
	// Lines end in CRLF, as Python's csv module ends them; the example
	// shows them without the CR.
	var b strings.Builder
	if err := report.WriteStatsCSV(&b, exampleSnapshot(), report.CSVOptions{}); err != nil {
		panic(err)
	}
	fmt.Print(strings.ReplaceAll(b.String(), "\r\n", "\n"))
	// Output:
	// Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
	// GET,/albums,100,0,1,1.295,0.8,1.79,2048.0,100.0,0.0,1,1,2,2,2,2,2,2,2,2,2
	// POST,/albums,2,1,12,131.0,12.0,250.0,48.0,2.0,1.0,12,250,250,250,250,250,250,250,250,250,250
	// ,Aggregated,102,1,1,3.8382352941176467,0.8,250.0,2008.7843137254902,102.0,1.0,1,1,2,2,2,2,2,12,250,250,250
}

func ExampleWriteCSVFiles() {
	dir, err := os.MkdirTemp("", "loadgen")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	// Writes dir/run_stats.csv, run_stats_history.csv, run_failures.csv and
	// run_exceptions.csv, each replaced atomically.
	if err := report.WriteCSVFiles(dir+"/run", exampleSnapshot(), report.CSVOptions{}); err != nil {
		panic(err)
	}
}
