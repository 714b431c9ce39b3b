package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
)

func TestCSVGolden(t *testing.T) {
	s := fixtureSnapshot(t)
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"stats.csv", func(b *bytes.Buffer) error { return WriteStatsCSV(b, s, CSVOptions{}) }},
		{"stats_precise.csv", func(b *bytes.Buffer) error { return WriteStatsCSV(b, s, CSVOptions{Precise: true}) }},
		{"stats_history.csv", func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, CSVOptions{}) }},
		{"stats_history_full.csv", func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, CSVOptions{FullHistory: true}) }},
		{"stats_history_precise.csv", func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, CSVOptions{Precise: true}) }},
		{"failures.csv", func(b *bytes.Buffer) error { return WriteFailuresCSV(b, s) }},
		{"exceptions.csv", func(b *bytes.Buffer) error { return WriteExceptionsCSV(b, s) }},
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
		{"stats", func(b *bytes.Buffer) error { return WriteStatsCSV(b, s, CSVOptions{}) },
			"Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"},
		{"stats_history", func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, CSVOptions{FullHistory: true}) },
			"Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size"},
		{"failures", func(b *bytes.Buffer) error { return WriteFailuresCSV(b, s) },
			"Method,Name,Error,Occurrences"},
		{"exceptions", func(b *bytes.Buffer) error { return WriteExceptionsCSV(b, s) },
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
	if err := WriteStatsCSV(&b, s, CSVOptions{}); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	if len(rows) != 1+len(s.Entries)+1 {
		t.Fatalf("%d rows, want header, %d entries and Aggregated", len(rows), len(s.Entries))
	}
	for i, e := range s.Entries {
		f := strings.Split(rows[1+i], ",")
		if f[0] != e.Method() || f[1] != e.Name() || f[2] != itoa(e.Count()) || f[3] != itoa(e.Failures()) || f[len(f)-1] != wholeMillis(e.Max()) {
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
		if err := WriteHistoryCSV(&b, s, CSVOptions{FullHistory: full}); err != nil {
			t.Fatal(err)
		}
		return strings.Count(b.String(), "\r\n") - 1
	}
	// The t=0 row has the Aggregated line only: no entry has a request yet.
	if got := count(false); got != 1+len(s.History) {
		t.Errorf("default history has %d rows, want the t=0 row and one Aggregated row per second (%d)", got, len(s.History))
	}
	if got, want := count(true), 1+len(s.History)*(1+len(s.Entries)); got != want {
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
	if err := WriteCSVFiles(prefix, s, CSVOptions{FullHistory: true}); err != nil {
		t.Fatal(err)
	}
	want := map[string]func(*bytes.Buffer) error{
		"run_stats.csv":         func(b *bytes.Buffer) error { return WriteStatsCSV(b, s, CSVOptions{FullHistory: true}) },
		"run_stats_history.csv": func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, CSVOptions{FullHistory: true}) },
		"run_failures.csv":      func(b *bytes.Buffer) error { return WriteFailuresCSV(b, s) },
		"run_exceptions.csv":    func(b *bytes.Buffer) error { return WriteExceptionsCSV(b, s) },
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
	err := WriteCSVFiles(prefix, s, CSVOptions{})
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
	if err := WriteHistoryCSV(&b, agg.Snapshot(fixtureStart.Add(1e9)), CSVOptions{FullHistory: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "1714564801,3,,Aggregated,0.000000,0.000000,N/A,") {
		t.Errorf("got %q", lines)
	}
}

// columnKind is the form of a CSV value as a reader infers its type.
type columnKind int

const (
	kindInt   columnKind = iota // digits only: int("12") works
	kindFloat                   // has a decimal point or an exponent: float, never int
	kindText
)

func kindOf(v string) columnKind {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return kindInt
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return kindFloat
	}
	return kindText
}

// TestCSVValueTypes checks every value of the fixture's files against the
// type Locust writes in its column, so that int(row["95%"]) and pandas'
// dtypes behave as they do on Locust's files.
func TestCSVValueTypes(t *testing.T) {
	s := fixtureSnapshot(t)
	pct := results.NumReportedPercentiles
	repeat := func(k columnKind, n int) []columnKind {
		out := make([]columnKind, n)
		for i := range out {
			out[i] = k
		}
		return out
	}
	cat := func(parts ...[]columnKind) []columnKind {
		var out []columnKind
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	statsKinds := cat([]columnKind{kindText, kindText, kindInt, kindInt, kindInt},
		repeat(kindFloat, 6), repeat(kindInt, pct))
	historyKinds := cat([]columnKind{kindInt, kindInt, kindText, kindText, kindFloat, kindFloat},
		repeat(kindInt, pct), []columnKind{kindInt, kindInt, kindInt}, repeat(kindFloat, 4))
	preciseStats := cat(statsKinds[:4], []columnKind{kindFloat}, statsKinds[5:11], repeat(kindFloat, pct))
	tests := []struct {
		name  string
		write func(*bytes.Buffer) error
		kinds []columnKind
	}{
		{"stats", func(b *bytes.Buffer) error { return WriteStatsCSV(b, s, CSVOptions{}) }, statsKinds},
		{"stats precise", func(b *bytes.Buffer) error { return WriteStatsCSV(b, s, CSVOptions{Precise: true}) }, preciseStats},
		{"history", func(b *bytes.Buffer) error { return WriteHistoryCSV(b, s, CSVOptions{FullHistory: true}) }, historyKinds},
		{"failures", func(b *bytes.Buffer) error { return WriteFailuresCSV(b, s) }, []columnKind{kindText, kindText, kindText, kindInt}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := tt.write(&b); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(rows) < 3 {
			t.Fatalf("%s: %d rows", tt.name, len(rows))
		}
		for i, row := range rows[1:] {
			if len(row) != len(tt.kinds) {
				t.Fatalf("%s row %d has %d columns, want %d", tt.name, i+1, len(row), len(tt.kinds))
			}
			if tt.name == "history" && i == 0 {
				continue // the t=0 row, checked on its own below
			}
			for j, v := range row {
				// Types and names are text whatever they look like.
				if got := kindOf(v); tt.kinds[j] != kindText && got != tt.kinds[j] {
					t.Errorf("%s row %d column %q = %q: kind %d, want %d", tt.name, i+1, rows[0][j], v, got, tt.kinds[j])
				}
			}
		}
	}
}

// TestHistoryCSVZeroRow pins the t=0 row to the one Locust writes before
// any request: no users, rates of 0.000000, N/A percentiles, and the
// integer and float zeros of its totals.
func TestHistoryCSVZeroRow(t *testing.T) {
	s := fixtureSnapshot(t)
	var b bytes.Buffer
	if err := WriteHistoryCSV(&b, s, CSVOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\r\n")
	want := strconv.FormatInt(fixtureStart.Unix(), 10) + ",0,,Aggregated,0.000000,0.000000," +
		strings.Repeat("N/A,", results.NumReportedPercentiles) + "0,0,0,0.0,0,0,0"
	if lines[1] != want {
		t.Errorf("t=0 row\n got %s\nwant %s", lines[1], want)
	}
}

// TestHistoryCSVOneRowSetPerSecond: a run's last interval often ends in the
// same second as the row before it; the file keeps the later row only, so
// that every timestamp appears once and pandas can pivot it.
func TestHistoryCSVOneRowSetPerSecond(t *testing.T) {
	keys := []results.EntryKey{{Method: "GET", Name: "/a"}, {Method: "GET", Name: "/b"}}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{EntryHistory: true})
	rec := results.NewRecorder(keys)
	d := results.NewDelta()
	tick := func(at time.Duration, n int) {
		for i := range n {
			rec.Success(i%2, time.Millisecond, 10)
		}
		d.Reset()
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		agg.Tick(fixtureStart.Add(at), 4)
	}
	tick(1000*time.Millisecond, 10)
	tick(2000*time.Millisecond, 10)
	tick(2400*time.Millisecond, 6) // the final, partial interval
	s := agg.Snapshot(fixtureStart.Add(2400 * time.Millisecond))

	var b bytes.Buffer
	if err := WriteHistoryCSV(&b, s, CSVOptions{FullHistory: true}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var aggregated [][]string
	for _, r := range rows[1:] {
		k := r[0] + " " + r[2] + " " + r[3]
		if seen[k] {
			t.Errorf("timestamp %s has two %s %s rows", r[0], r[2], r[3])
		}
		seen[k] = true
		if r[3] == results.AggregatedName {
			aggregated = append(aggregated, r)
		}
	}
	if len(aggregated) != 3 {
		t.Fatalf("%d Aggregated rows, want t=0, second 1 and second 2: %q", len(aggregated), aggregated)
	}
	// The second second's row is the later one, with every request.
	if last := aggregated[2]; last[len(historyHeader)+results.NumReportedPercentiles] != "26" {
		t.Errorf("last row counts %s requests, want the final 26: %q", last[len(historyHeader)+results.NumReportedPercentiles], last)
	}
}

// TestFullHistoryPercentilesAreWindowed: with --csv-full-history Locust
// writes the current window's percentiles; loadgen's are exact. A slow
// first second leaves the window after two seconds, while the cumulative
// percentiles of the default history keep it.
func TestFullHistoryPercentilesAreWindowed(t *testing.T) {
	keys := []results.EntryKey{{Method: "GET", Name: "/a"}}
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{EntryHistory: true, Window: 2 * time.Second})
	rec := results.NewRecorder(keys)
	d := results.NewDelta()
	for sec := 1; sec <= 5; sec++ {
		lat := time.Millisecond
		if sec == 1 {
			lat = 500 * time.Millisecond
		}
		for range 100 {
			rec.Success(0, lat, 10)
		}
		d.Reset()
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		agg.Tick(fixtureStart.Add(time.Duration(sec)*time.Second), 1)
	}
	s := agg.Snapshot(fixtureStart.Add(5 * time.Second))
	p100 := len(historyHeader) + results.NumReportedPercentiles - 1
	last := func(o CSVOptions) []string {
		var b bytes.Buffer
		if err := WriteHistoryCSV(&b, s, o); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows[len(rows)-1]
	}
	if got := last(CSVOptions{FullHistory: true})[p100]; got != "1" {
		t.Errorf("full history: the window's maximum is %s ms, want 1", got)
	}
	if got := last(CSVOptions{})[p100]; got != "500" {
		t.Errorf("default history: the cumulative maximum is %s ms, want 500", got)
	}
}
