package report

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/results"
)

func TestCSVGolden(t *testing.T) {
	s := fixtureSnapshot(t)
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"stats.csv", func(b *bytes.Buffer) error { return WriteStatsCSV(b, s) }},
		{"stats_history.csv", func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, false) }},
		{"stats_history_full.csv", func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, true) }},
		{"failures.csv", func(b *bytes.Buffer) error { return WriteFailuresCSV(b, s) }},
		{"exceptions.csv", func(b *bytes.Buffer) error { return WriteExceptionsCSV(b) }},
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

// TestCSVHeadersAreLocusts pins the headers to Locust 2.x's, spelled out
// here rather than taken from the golden files.
func TestCSVHeadersAreLocusts(t *testing.T) {
	s := fixtureSnapshot(t)
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
		want  string
	}{
		{"stats", func(b *bytes.Buffer) error { return WriteStatsCSV(b, s) },
			"Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"},
		{"stats_history", func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, true) },
			"Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size"},
		{"failures", func(b *bytes.Buffer) error { return WriteFailuresCSV(b, s) },
			"Method,Name,Error,Occurrences,First Seen,Last Seen"},
		{"exceptions", func(b *bytes.Buffer) error { return WriteExceptionsCSV(b) },
			"Count,Message,Traceback,Nodes"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := tt.write(&b); err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(b.String(), "\r\n")
		if head != tt.want {
			t.Errorf("%s header:\n got %s\nwant %s", tt.name, head, tt.want)
		}
	}
}

func TestStatsCSVRows(t *testing.T) {
	s := fixtureSnapshot(t)
	var b bytes.Buffer
	if err := WriteStatsCSV(&b, s); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	if len(rows) != 1+len(s.Entries)+1 {
		t.Fatalf("%d rows, want header, %d entries and Aggregated", len(rows), len(s.Entries))
	}
	for i, e := range s.Entries {
		f := strings.Split(rows[1+i], ",")
		if f[0] != e.Method() || f[1] != e.Name() || f[2] != itoa(e.Count()) || f[3] != itoa(e.Failures()) || f[len(f)-1] != exactMillis(e.Max()) {
			t.Errorf("row %q does not match entry %v (count %d, failures %d, max %v)", rows[1+i], e.Key(), e.Count(), e.Failures(), e.Max())
		}
	}
	if !strings.HasPrefix(rows[len(rows)-1], ",Aggregated,"+itoa(s.Total.Count())+",") {
		t.Errorf("last row %q is not the Aggregated one", rows[len(rows)-1])
	}
}

func TestHistoryCSVRowCounts(t *testing.T) {
	s := fixtureSnapshot(t)
	count := func(full bool) int {
		var b bytes.Buffer
		if err := WriteHistoryCSV(&b, s, full); err != nil {
			t.Fatal(err)
		}
		return strings.Count(b.String(), "\r\n") - 1
	}
	if got := count(false); got != len(s.History) {
		t.Errorf("default history has %d rows, want one Aggregated row per second (%d)", got, len(s.History))
	}
	if got, want := count(true), len(s.History)*(1+len(s.Entries)); got != want {
		t.Errorf("full history has %d rows, want %d", got, want)
	}
}

func TestWriteCSVFiles(t *testing.T) {
	s := fixtureSnapshot(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "run")
	// An older, longer file must be replaced entirely.
	if err := os.WriteFile(prefix+"_stats.csv", bytes.Repeat([]byte("old\n"), 10000), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSVFiles(prefix, s, true); err != nil {
		t.Fatal(err)
	}
	want := map[string]func(*bytes.Buffer) error{
		"run_stats.csv":         func(b *bytes.Buffer) error { return WriteStatsCSV(b, s) },
		"run_stats_history.csv": func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, true) },
		"run_failures.csv":      func(b *bytes.Buffer) error { return WriteFailuresCSV(b, s) },
		"run_exceptions.csv":    func(b *bytes.Buffer) error { return WriteExceptionsCSV(b) },
	}
	for name, write := range want {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b.Bytes()) {
			t.Errorf("%s differs from what its writer produces", name)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 4 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want exactly the four files", names)
	}
}

func TestWriteCSVFilesReportsWhereItFailed(t *testing.T) {
	s := fixtureSnapshot(t)
	prefix := filepath.Join(t.TempDir(), "missing", "run")
	err := WriteCSVFiles(prefix, s, false)
	if err == nil || !strings.Contains(err.Error(), prefix+"_stats.csv") || !strings.Contains(err.Error(), prefix+"_exceptions.csv") {
		t.Fatalf("error %v, want one naming each file", err)
	}
}

func TestWriteFileAtomicLeavesOldFileOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.csv")
	if err := os.WriteFile(path, []byte("complete\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFileAtomic(path, func(w io.Writer) error {
		if _, err := w.Write([]byte("half a fi")); err != nil {
			return err
		}
		return errWrite
	})
	if !errors.Is(err, errWrite) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v, want the writer's error naming %s", err, path)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "complete\n" {
		t.Errorf("file now holds %q", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want the temporary file removed", len(ents))
	}
}

func TestHistoryCSVWithoutEntryHistory(t *testing.T) {
	// An aggregator without entry history still gives Aggregated rows.
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{})
	agg.Tick(fixtureStart.Add(1e9), 3)
	var b bytes.Buffer
	if err := WriteHistoryCSV(&b, agg.Snapshot(fixtureStart.Add(1e9)), true); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "1714564801,3,,Aggregated,0.000000,0.000000,N/A,") {
		t.Errorf("got %q", lines)
	}
}
