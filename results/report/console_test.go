package report

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
)

func TestConsoleGolden(t *testing.T) {
	s := fixtureSnapshot(t)
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"console_stats_current.txt", func(b *bytes.Buffer) error { return WriteStats(b, s, true) }},
		{"console_summary.txt", func(b *bytes.Buffer) error { return WriteSummary(b, s) }},
		{"console_progress.txt", func(b *bytes.Buffer) error { return WriteProgress(b, s, 30*time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// TestStatsTableContent checks the table against the snapshot's numbers
// directly, independent of the golden files.
func TestStatsTableContent(t *testing.T) {
	s := fixtureSnapshot(t)
	var b bytes.Buffer
	if err := WriteStats(&b, s, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if want := 1 + 1 + len(s.Entries) + 1 + 1; len(lines) != want {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), want, b.String())
	}
	head := strings.Fields(lines[0])
	wantHead := []string{"Type", "Name", "#", "reqs", "#", "fails", "|", "Avg", "Min", "Max", "Med", "|", "req/s", "failures/s"}
	if strings.Join(head, " ") != strings.Join(wantHead, " ") {
		t.Errorf("header %q", lines[0])
	}
	total := strings.Fields(lines[len(lines)-1])
	post, _ := s.Entry(results.EntryKey{Method: "POST", Name: "/albums"})
	if total[0] != results.AggregatedName {
		t.Errorf("last line %q is not the Aggregated row", lines[len(lines)-1])
	}
	var postLine string
	for _, l := range lines {
		if strings.HasPrefix(l, "POST ") {
			postLine = l
		}
	}
	if post.Failures() == 0 {
		t.Fatal("the fixture's POST entry has no failures")
	}
	want := fmt.Sprintf("%d(%.2f%%)", post.Failures(), 100*float64(post.Failures())/float64(post.Count()))
	if got := strings.Fields(postLine)[3]; got != want {
		t.Errorf("POST fails column %q, want %q", got, want)
	}
	if !strings.Contains(postLine, " "+Millis(post.Max())+" ") {
		t.Errorf("POST line %q lacks its max %s", postLine, Millis(post.Max()))
	}
}

func TestWriteErrorsWritesNothingWithoutFailures(t *testing.T) {
	var b bytes.Buffer
	if err := WriteErrors(&b, &results.Snapshot{}); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %q", b.String())
	}
}

func TestPercentileTableSkipsEntriesWithoutRequests(t *testing.T) {
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	rec := results.NewRecorder([]results.EntryKey{{Method: "GET", Name: "/a"}})
	rec.Success(0, time.Millisecond, 1)
	d := results.NewDelta()
	rec.Drain(d)
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	agg.Reset(fixtureStart.Add(time.Second)) // the entry stays, with no requests
	var b bytes.Buffer
	if err := WritePercentiles(&b, agg.Snapshot(fixtureStart.Add(2*time.Second))); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "/a") || strings.Contains(b.String(), results.AggregatedName) {
		t.Errorf("table lists rows without requests:\n%s", b.String())
	}
}

var errWrite = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestRenderersReportWriteErrors(t *testing.T) {
	s := fixtureSnapshot(t)
	for name, f := range map[string]func() error{
		"stats":       func() error { return WriteStats(failingWriter{}, s, true) },
		"percentiles": func() error { return WritePercentiles(failingWriter{}, s) },
		"errors":      func() error { return WriteErrors(failingWriter{}, s) },
		"stats csv":   func() error { return WriteStatsCSV(failingWriter{}, s, CSVOptions{}) },
		"history csv": func() error { return WriteHistoryCSV(failingWriter{}, s, CSVOptions{FullHistory: true}) },
		"json":        func() error { return WriteJSON(failingWriter{}, s, JSONOptions{}) },
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error from a failing writer", name)
		}
	}
}

// TestLiveTableShowsTheCurrentWindow checks the live table's window
// columns against the snapshot's windows, which differ from the
// cumulative columns once the run has outlived its window.
func TestLiveTableShowsTheCurrentWindow(t *testing.T) {
	s := streamRun(t, 25, 0)
	var b bytes.Buffer
	if err := WriteStats(&b, s, true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if !strings.HasSuffix(lines[0], "p50     p95     p99 (last 10s)") {
		t.Errorf("header %q lacks the window columns", lines[0])
	}
	for _, e := range append(append([]results.EntryStats{}, s.Entries...), s.Total) {
		w := e.Window()
		if w.Count() == 0 || w.Count() == e.Count() {
			t.Fatalf("%v: the window holds %d of %d requests; the test needs a part", e.Key(), w.Count(), e.Count())
		}
		want := fmt.Sprintf("| %7s %7s %7s", Millis(w.Percentile(0.5)), Millis(w.Percentile(0.95)), Millis(w.Percentile(0.99)))
		found := false
		for _, l := range lines {
			if strings.Contains(l, " "+e.Name()+" ") && strings.HasPrefix(l, e.Method()) && strings.HasSuffix(l, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%v: no row ends with %q:\n%s", e.Key(), want, b.String())
		}
	}
}
