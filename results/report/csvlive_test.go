package report

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
)

// TestCSVWriterKeepsFilesCurrent follows a run second by second: the files
// exist from the start, parse after every update (as a kill would leave
// them), gain one history row-set per second, and end up exactly as the
// one-shot writers write the final snapshot.
func TestCSVWriterKeepsFilesCurrent(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "run")
	keys := []results.EntryKey{{Method: "GET", Name: "/a"}, {Method: "POST", Name: "/b"}}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{EntryHistory: true})
	rec := results.NewRecorder(keys)
	d := results.NewDelta()
	o := CSVOptions{FullHistory: true}

	w, err := CreateCSVFiles(prefix, agg.Snapshot(fixtureStart), o)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) [][]string {
		t.Helper()
		b, err := os.ReadFile(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("%s does not parse: %v", name, err)
		}
		return rows
	}
	if rows := read("_stats_history.csv"); len(rows) != 2 || rows[1][0] != strconv.FormatInt(fixtureStart.Unix(), 10) || rows[1][1] != "0" {
		t.Fatalf("history at the start: %q, want the header and the t=0 row", rows)
	}
	if rows := read("_stats.csv"); len(rows) != 2 || rows[1][1] != results.AggregatedName || rows[1][2] != "0" {
		t.Fatalf("stats at the start: %q, want the header and an empty Aggregated row", rows)
	}
	for _, f := range []string{"_failures.csv", "_exceptions.csv"} {
		if rows := read(f); len(rows) != 1 {
			t.Fatalf("%s at the start: %q", f, rows)
		}
	}

	var s *results.Snapshot
	tick := func(at time.Duration, n int) {
		for i := range n {
			rec.Success(i%2, time.Duration(1+i)*time.Millisecond, 10)
		}
		rec.Observe(0, results.Observation{Latency: time.Millisecond, Err: results.StatusFailure(500), At: fixtureStart.Add(at)})
		d.Reset()
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		agg.Tick(fixtureStart.Add(at), 2)
		s = agg.Snapshot(fixtureStart.Add(at))
	}
	total := 0
	for sec := 1; sec <= 3; sec++ {
		tick(time.Duration(sec)*time.Second, 10)
		total += 11
		if err := w.Update(s); err != nil {
			t.Fatal(err)
		}
		hist := read("_stats_history.csv")
		// The header, the t=0 row, then per second both entries and
		// the Aggregated row.
		if want := 2 + 3*sec; len(hist) != want {
			t.Fatalf("after second %d the history has %d rows, want %d: %q", sec, len(hist), want, hist)
		}
		if last := hist[len(hist)-1]; last[3] != results.AggregatedName || last[17] != strconv.Itoa(total) {
			t.Errorf("after second %d the last history row is %q, want the Aggregated one with %d requests", sec, last, total)
		}
		if stats := read("_stats.csv"); stats[len(stats)-1][2] != strconv.Itoa(total) {
			t.Errorf("after second %d stats.csv counts %s requests, want %d", sec, stats[len(stats)-1][2], total)
		}
		if f := read("_failures.csv"); len(f) != 2 || f[1][3] != strconv.Itoa(sec) {
			t.Errorf("after second %d failures.csv is %q", sec, f)
		}
	}
	// An update with nothing new appends nothing.
	if err := w.Update(s); err != nil {
		t.Fatal(err)
	}
	if hist := read("_stats_history.csv"); len(hist) != 2+3*3 {
		t.Errorf("a repeated update appended rows: %d", len(hist))
	}
	// The final, partial interval ends in the second of the last row.
	tick(3400*time.Millisecond, 4)
	if err := w.Close(s); err != nil {
		t.Fatal(err)
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"_stats.csv":         func(b *bytes.Buffer) error { return WriteStatsCSV(b, s, o) },
		"_stats_history.csv": func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, o) },
		"_failures.csv":      func(b *bytes.Buffer) error { return WriteFailuresCSV(b, s) },
		"_exceptions.csv":    func(b *bytes.Buffer) error { return WriteExceptionsCSV(b, s) },
	} {
		var want bytes.Buffer
		if err := write(&want); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s after Close:\n%s\nwant\n%s", name, got, want.Bytes())
		}
	}
	if err := w.Update(s); err == nil {
		t.Error("an update after Close succeeded")
	}
}

func TestCreateCSVFilesNamesTheProblem(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "missing", "run")
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	if _, err := CreateCSVFiles(prefix, agg.Snapshot(fixtureStart), CSVOptions{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte(prefix)) {
		t.Fatalf("error %v, want one naming %s", err, prefix)
	}
}

// TestCSVWriterWritesEverySecondOfALongRun: the aggregator thins the
// history it keeps in long runs; the live file still gets every second.
func TestCSVWriterWritesEverySecondOfALongRun(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "long")
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{MaxHistoryRows: 4})
	rec := results.NewRecorder([]results.EntryKey{{Method: "GET", Name: "/a"}})
	d := results.NewDelta()
	w, err := CreateCSVFiles(prefix, agg.Snapshot(fixtureStart), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const seconds = 20
	var s *results.Snapshot
	for sec := 1; sec <= seconds; sec++ {
		rec.Success(0, time.Millisecond, 10)
		d.Reset()
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		now := fixtureStart.Add(time.Duration(sec) * time.Second)
		agg.Tick(now, 1)
		s = agg.Snapshot(now)
		if err := w.Update(s); err != nil {
			t.Fatal(err)
		}
	}
	if len(s.History) >= seconds {
		t.Fatalf("the aggregator kept %d rows: the test needs a thinned history", len(s.History))
	}
	if err := w.Close(s); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(prefix + "_stats_history.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+1+seconds {
		t.Fatalf("%d rows, want the header, t=0 and %d seconds", len(rows), seconds)
	}
	for i, r := range rows[1:] {
		if want := strconv.FormatInt(fixtureStart.Unix()+int64(i), 10); r[0] != want || r[17] != strconv.Itoa(i) {
			t.Errorf("row %d: timestamp %s, %s requests; want %s and %d", i, r[0], r[17], want, i)
		}
	}
}
