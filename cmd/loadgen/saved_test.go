package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

func TestReportRendersARunsFilesAgain(t *testing.T) {
	dir := t.TempDir()
	orig, again := filepath.Join(dir, "run"), filepath.Join(dir, "again")
	code, out, stderr := runCLI(t, nil, "--users", "4", "--spawn-rate", "0", "--run-time", "3s", "--seed", "7",
		"--threshold", "p99<10s", "--csv", orig, "--csv-full-history", "--json", orig+".json", "--html", orig+".html", "--only-summary")
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = runCLI(t, nil, "report", orig+".json", "--html", again+".html", "--csv", again, "--csv-full-history")
	if code != 0 {
		t.Fatalf("report: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "Aggregated") || !strings.Contains(out, "Response time percentiles") {
		t.Errorf("report prints no tables:\n%s", out)
	}
	for _, suffix := range []string{".html", "_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"} {
		want, err := os.ReadFile(orig + suffix)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(again + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s rendered again differs from the run's (%d and %d bytes)", suffix, len(got), len(want))
		}
	}
}

func TestMergeTwoRunsThatWentOnTogether(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	var wg sync.WaitGroup
	for _, path := range []string{a, b} {
		wg.Go(func() {
			code, out, stderr := runCLI(t, nil, "--users", "2", "--spawn-rate", "0", "--run-time", "3s", "--json", path, "--only-summary")
			if code != 0 {
				t.Errorf("run %s: exit %d\n%s\n%s", path, code, out, stderr)
			}
		})
	}
	wg.Wait()
	merged := filepath.Join(dir, "m.json")
	code, out, stderr := runCLI(t, nil, "merge", a, b, "--json", merged, "--html", filepath.Join(dir, "m.html"))
	if code != 0 {
		t.Fatalf("merge: exit %d\n%s\n%s", code, out, stderr)
	}
	ra, rb, rm := readReport(t, a), readReport(t, b), readReport(t, merged)
	if rm.Aggregated.Count != ra.Aggregated.Count+rb.Aggregated.Count || len(rm.Sources) != 2 || rm.Sources[0].Name != a {
		t.Errorf("merged %d requests from %+v; the sources had %d and %d", rm.Aggregated.Count, rm.Sources, ra.Aggregated.Count, rb.Aggregated.Count)
	}
	// The merged percentiles are those of both runs' histograms together.
	h := results.NewPackedHistogram()
	for _, r := range []*report.Report{ra, rb} {
		d, err := r.Aggregated.Distribution()
		if err != nil {
			t.Fatal(err)
		}
		h.Merge(d.Histogram())
	}
	fromMs := func(v float64) time.Duration { return time.Duration(math.Round(v * 1e6)) }
	d := results.NewDistribution(h, min(fromMs(ra.Aggregated.MinMs), fromMs(rb.Aggregated.MinMs)), max(fromMs(ra.Aggregated.MaxMs), fromMs(rb.Aggregated.MaxMs)))
	if got, want := rm.Aggregated.Percentiles["99"], float64(d.Percentile(0.99))/1e6; got != want {
		t.Errorf("merged p99 %v ms, want %v ms", got, want)
	}
	if got, want := rm.Aggregated.RPS, ra.Aggregated.RPS+rb.Aggregated.RPS; got < want*0.999999 || got > want*1.000001 {
		t.Errorf("merged rps %v, want the sum %v", got, want)
	}

	// What cannot be merged is refused with the reason.
	later := filepath.Join(dir, "later.json")
	if code, out, stderr := runCLI(t, nil, "--users", "1", "--run-time", "1s", "--json", later, "--only-summary"); code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", a}, "at least two result files"},
		{[]string{"merge", a, later, "--json", merged}, "did not run at the same time"},
		{[]string{"merge", a, filepath.Join(dir, "nope.json")}, "nope.json"},
		{[]string{"report"}, "one result file"},
		{[]string{"report", filepath.Join(dir, "m.html")}, "m.html"},
	} {
		code, _, stderr := runCLI(t, nil, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}
