package threshold

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// summaryRun is a small run with entries, failures and thresholds of every
// kind, passing and failing.
func summaryRun(t *testing.T) []Result {
	t.Helper()
	post := repeat("POST", "/albums", 10, 30*time.Millisecond)
	post[9].fail = true
	s := record(t, 10*time.Second, join(
		ramp("GET", "/albums", 90, 100*time.Microsecond, 0),
		post,
	))
	ts, err := ParseAll([]string{
		"p99<250ms",
		"p99 <= 10 ",
		`p95{name="GET /albums"}<100ms`,
		`p95{name="/albums"}<100ms`,
		`avg{name="GET /album"}<50ms`,
		"fail_ratio<0.01",
		"fail_ratio<=1%",
		"failures==0",
		"rps>500",
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := EvaluateAll(ts, s)
	return rs
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestWriteSummary(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSummary(&b, summaryRun(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.txt", b.Bytes())

	b.Reset()
	if err := WriteSummary(&b, nil); err != nil || b.Len() != 0 {
		t.Errorf("WriteSummary(nil) wrote %q, %v", b.String(), err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteSummaryError(t *testing.T) {
	err := WriteSummary(failingWriter{}, summaryRun(t))
	if err == nil || err.Error() != "writing threshold summary: disk full" {
		t.Errorf("error = %v", err)
	}
}

func TestResultJSON(t *testing.T) {
	rs := summaryRun(t)
	data, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "results.json", append(data, '\n'))

	var back []Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("results do not decode: %v", err)
	}
	if len(back) != len(rs) {
		t.Fatalf("decoded %d results, want %d", len(back), len(rs))
	}
	for i := range rs {
		got, want := back[i], rs[i]
		if got.Threshold == nil || got.Threshold.Source != want.Threshold.Source || !got.Threshold.Equal(want.Threshold) {
			t.Errorf("result %d: threshold %v, want %v", i, got.Threshold, want.Threshold)
		}
		got.Threshold = want.Threshold
		if got != want {
			t.Errorf("result %d decodes as %+v, want %+v", i, got, want)
		}
	}

	var r Result
	err = json.Unmarshal([]byte(`{"threshold": "p99<1x"}`), &r)
	var pe *Error
	if !errors.As(err, &pe) || pe.Column != 5 {
		t.Errorf("a bad threshold in JSON gives %v", err)
	}
}
