package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/results"
)

var streamKeys = []results.EntryKey{
	{Method: "GET", Name: "/albums"},
	{Method: "POST", Name: "/albums"},
	{Method: "GET", Name: "/search?q=a b,c:d%"},
}

// streamRun runs an aggregator for the given seconds with random
// latencies, and gives every tick's snapshot to each sink. The first
// warm seconds are a warm-up: the statistics restart after them.
func streamRun(t *testing.T, seconds, warm int, sinks ...func(*results.Snapshot) error) *results.Snapshot {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 8))
	agg := results.NewAggregator(fixtureStart, results.AggregatorOptions{EntryHistory: true})
	rec := results.NewRecorder(streamKeys)
	d := results.NewDelta()
	var snap *results.Snapshot
	for sec := 1; sec <= seconds; sec++ {
		for range 100 + rng.IntN(300) {
			e := rng.IntN(len(streamKeys))
			lat := time.Duration(200+rng.IntN(5000*(e+1))) * time.Microsecond
			if rng.IntN(500) == 0 {
				lat = time.Duration(1+rng.IntN(3)) * time.Second
			}
			rec.Success(e, lat, 100)
		}
		rec.Drain(d)
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		d.Reset()
		now := fixtureStart.Add(time.Duration(sec) * time.Second)
		agg.Tick(now, sec)
		if sec == warm {
			agg.Reset(now)
		}
		snap = agg.Snapshot(now)
		for _, sink := range sinks {
			if err := sink(snap); err != nil {
				t.Fatal(err)
			}
		}
	}
	return snap
}

func TestHDRLogReadBackGivesTheReportsPercentiles(t *testing.T) {
	for _, every := range []time.Duration{0, 3 * time.Second} {
		var b bytes.Buffer
		warmEnd := fixtureStart.Add(2 * time.Second)
		// The header's start: given, or the first interval's.
		opts := HDRLogOptions{Interval: every, From: warmEnd}
		if every == 0 {
			opts.Start = warmEnd
		}
		lw, err := NewHDRLogWriter(&b, opts)
		if err != nil {
			t.Fatal(err)
		}
		snap := streamRun(t, 13, 2, lw.Write)
		if err := lw.Close(); err != nil {
			t.Fatal(err)
		}
		checkHDRLogFormat(t, b.String())

		// Read back with hdrhistogram-go's own reader, and merge.
		r := hdrhistogram.NewHistogramLogReader(bytes.NewReader(b.Bytes()))
		merged := map[string]*hdrhistogram.Histogram{}
		var starts []int64
		for {
			h, err := r.NextIntervalHistogram()
			if err != nil {
				t.Fatal(err)
			}
			if h == nil {
				break
			}
			if merged[h.Tag()] == nil {
				merged[h.Tag()] = results.NewHistogram()
			}
			merged[h.Tag()].Merge(h)
			if h.Tag() == "" {
				starts = append(starts, h.StartTimeMs())
			}
		}
		step := max(every, time.Second)
		wantIntervals := int((11*time.Second + step - 1) / step)
		if len(starts) != wantIntervals {
			t.Errorf("every %v: %d intervals, want %d", every, len(starts), wantIntervals)
		}
		if len(starts) > 0 && starts[0] != warmEnd.UnixMilli() {
			t.Errorf("every %v: first interval starts at %d ms, want the end of the warm-up, %d", every, starts[0], warmEnd.UnixMilli())
		}

		// The JSON report of the same run: every percentile it gives must
		// be what the log's merged histograms give.
		rep, err := NewReport(snap, JSONOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check := func(tag string, e Entry) {
			h := merged[tag]
			if h == nil {
				t.Fatalf("every %v: no lines tagged %q in the log", every, tag)
			}
			if h.TotalCount() != e.Count {
				t.Errorf("every %v, %q: the log holds %d values, the report %d", every, tag, h.TotalCount(), e.Count)
			}
			packed := results.NewPackedHistogram()
			packed.MergeFrom(h)
			d := results.NewDistribution(packed, fromMs(e.MinMs), fromMs(e.MaxMs))
			got := percentileMap(d.Reported())
			for k, v := range e.Percentiles {
				if got[k] != v {
					t.Errorf("every %v, %q: p%s from the log %v ms, from the report %v ms", every, tag, k, got[k], v)
				}
			}
		}
		check("", rep.Aggregated)
		for _, e := range rep.Entries {
			check(HDRLogTag(results.EntryKey{Method: e.Method, Name: e.Name}), e)
		}
		if len(merged) != len(rep.Entries)+1 {
			t.Errorf("every %v: %d tags in the log, want %d", every, len(merged), len(rep.Entries)+1)
		}
	}
}

// checkHDRLogFormat holds the log to the rules of HdrHistogram's
// HistogramLogProcessor (the Java reference reader): comment lines start
// with '#', the legend line is quoted, and every interval line is an
// optional Tag=... with no space, comma or line break, then three decimal
// numbers and a V2 compressed histogram in base64, comma separated.
func checkHDRLogFormat(t *testing.T, log string) {
	t.Helper()
	interval := regexp.MustCompile(`^(Tag=[^, \r\n]+,)?\d+\.\d+,\d+\.\d+,\d+\.\d+,HISTF[A-Za-z0-9+/]+=*$`)
	lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
	if lines[0] != "#[Histogram log format version 1.3]" {
		t.Errorf("first line %q", lines[0])
	}
	if !regexp.MustCompile(`^#\[StartTime: \d+\.\d{3} \(seconds since epoch\), \S+\]$`).MatchString(lines[1]) {
		t.Errorf("start time line %q", lines[1])
	}
	if !regexp.MustCompile(`^#\[BaseTime: \d+\.\d{3} \(seconds since epoch\)\]$`).MatchString(lines[2]) {
		t.Errorf("base time line %q", lines[2])
	}
	n := 0
	for _, l := range lines[3:] {
		switch {
		case strings.HasPrefix(l, "#"):
		case l == `"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"`:
		case interval.MatchString(l):
			n++
		default:
			t.Errorf("line %q is neither a comment, the legend nor an interval", l)
		}
	}
	if n == 0 {
		t.Error("no interval line")
	}
}

func TestHDRLogTagsRoundTrip(t *testing.T) {
	for _, k := range append(streamKeys, results.EntryKey{Method: "", Name: "a:b\r\n\t%41"}) {
		tag := HDRLogTag(k)
		if strings.ContainsAny(tag, " ,\r\n\t") {
			t.Errorf("tag %q of %v has a separator", tag, k)
		}
		got, err := ParseHDRLogTag(tag)
		if err != nil || got != k {
			t.Errorf("ParseHDRLogTag(%q) = %v, %v; want %v", tag, got, err, k)
		}
	}
	if got := HDRLogTag(results.EntryKey{Method: "GET", Name: "/albums"}); got != "GET:/albums" {
		t.Errorf("tag %q, want GET:/albums", got)
	}
	if _, err := ParseHDRLogTag("nocolon"); err == nil {
		t.Error("a tag without a colon parsed")
	}
}

func TestHDRLogNotesSkippedSnapshots(t *testing.T) {
	var b bytes.Buffer
	lw, err := NewHDRLogWriter(&b, HDRLogOptions{Start: fixtureStart})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	streamRun(t, 6, 0, func(s *results.Snapshot) error {
		n++
		if n == 3 {
			return nil
		}
		return lw.Write(s)
	})
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "1 intervals before this one were not given to the log") {
		t.Errorf("a skipped interval is not noted:\n%s", b.String())
	}
}

func TestJSONLinesAreTheHistoryRowsOfEveryInterval(t *testing.T) {
	var b bytes.Buffer
	jw := NewJSONLWriter(&b, fixtureStart.Add(2*time.Second))
	snap := streamRun(t, 8, 2, func(s *results.Snapshot) error {
		if err := jw.Write(s); err != nil {
			return err
		}
		return jw.Write(s) // a repeated snapshot writes nothing
	})
	rep, err := NewReport(snap, JSONOptions{FullHistory: true})
	if err != nil {
		t.Fatal(err)
	}
	var rows []HistoryRow
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		var r HistoryRow
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("line %q holds more than one object", sc.Text())
		}
		rows = append(rows, r)
	}
	if len(rows) != 6 {
		t.Fatalf("%d lines, want one per interval after the warm-up, 6", len(rows))
	}
	// The report's history has the warm-up's rows too; the lines are its
	// last rows, field for field.
	hist := rep.History[len(rep.History)-len(rows):]
	for i := range rows {
		got, _ := json.Marshal(rows[i])
		want, _ := json.Marshal(hist[i])
		if string(got) != string(want) {
			t.Errorf("line %d:\n%s\nreport history row:\n%s", i, got, want)
		}
	}
	if len(rows[0].Entries) != len(streamKeys) || rows[0].Aggregated.WindowCount == 0 || rows[0].Aggregated.WindowPercentiles == nil {
		t.Errorf("first line lacks entries or window percentiles: %+v", rows[0])
	}
}
