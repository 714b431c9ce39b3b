package saved

import (
	"bytes"
	"testing"
	"time"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/report"
)

// TestExceptionsSurviveSavingAndMerging: a saved result renders the same
// exceptions.csv as the run, and merging two results adds their
// exceptions, skipped and abandoned requests and the generators' pauses up.
func TestExceptionsSurviveSavingAndMerging(t *testing.T) {
	dir := t.TempDir()
	var saved []*Result
	var csvs [][]byte
	for i, node := range []string{"w1", "w2"} {
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		rec := results.NewRecorder([]results.EntryKey{{Method: "GET", Name: "/a"}})
		rec.Success(0, time.Millisecond, 1)
		rec.Exception("boom", "main.task\n\ttask.go:12")
		rec.Skip(0, i+1)
		d := results.NewDelta()
		rec.Drain(d)
		d.SetNode(node)
		d.Abandon(int64(i+1), time.Duration(i+1)*time.Second)
		d.Pause(results.PauseStats{Count: int64(i + 1), Total: time.Duration(i+2) * 100 * time.Millisecond, Max: time.Duration(i+1) * 100 * time.Millisecond})
		agg := results.NewAggregator(start, results.AggregatorOptions{})
		if err := agg.Add(d); err != nil {
			t.Fatal(err)
		}
		agg.Tick(start.Add(time.Second), 1)
		s := agg.Snapshot(start.Add(time.Second))
		var b bytes.Buffer
		if err := report.WriteExceptionsCSV(&b, s); err != nil {
			t.Fatal(err)
		}
		csvs = append(csvs, b.Bytes())
		saved = append(saved, writeResult(t, dir, node+".json", s, report.JSONOptions{}))
	}
	var again bytes.Buffer
	if err := report.WriteExceptionsCSV(&again, saved[0].Snapshot); err != nil {
		t.Fatal(err)
	}
	same(t, "exceptions.csv of a saved result", again.Bytes(), csvs[0])
	if a := saved[0].Snapshot.Abandoned; a.Count != 1 || a.Oldest != time.Second {
		t.Errorf("saved abandoned requests %+v, want 1 after 1s", a)
	}
	if p := saved[0].Snapshot.Pauses; p != (results.PauseStats{Count: 1, Total: 200 * time.Millisecond, Max: 100 * time.Millisecond}) {
		t.Errorf("saved pauses %+v, want 1 of 100ms in 200ms", p)
	}
	m, err := Merge(saved)
	if err != nil {
		t.Fatal(err)
	}
	ex, sk := m.Snapshot.Exceptions, m.Snapshot.Skipped
	if len(ex) != 1 || ex[0].Count != 2 || len(ex[0].Nodes) != 2 || len(sk) != 1 || sk[0].Count != 3 {
		t.Errorf("merged exceptions %+v, skipped %+v", ex, sk)
	}
	if a := m.Snapshot.Abandoned; a.Count != 3 || a.Oldest != 2*time.Second {
		t.Errorf("merged abandoned requests %+v, want 3, the oldest after 2s", a)
	}
	if p := m.Snapshot.Pauses; p != (results.PauseStats{Count: 3, Total: 500 * time.Millisecond, Max: 200 * time.Millisecond}) {
		t.Errorf("merged pauses %+v, want 3, the longest 200ms, 500ms in all", p)
	}
}
