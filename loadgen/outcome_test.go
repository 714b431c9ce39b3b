package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/threshold"
)

// snapshotOf is a finished run's statistics with requests and failures.
func snapshotOf(t *testing.T, requests, failures int) *results.Snapshot {
	t.Helper()
	start := time.Now()
	rec := results.NewRecorder([]results.EntryKey{{Method: "GET", Name: "/"}})
	for i := range requests {
		if i < failures {
			rec.Failure(0, time.Millisecond, 0, "timeout")
		} else {
			rec.Success(0, time.Millisecond, 1)
		}
	}
	d := results.NewDelta()
	rec.Drain(d)
	agg := results.NewAggregator(start, results.AggregatorOptions{})
	if err := agg.Add(d); err != nil {
		t.Fatal(err)
	}
	agg.Tick(start.Add(time.Second), 1)
	return agg.Snapshot(start.Add(time.Second))
}

// TestOutcome is the one decision of how a run ended, in order: a run
// that measured nothing, or whose workers failed, is incomplete whatever
// else it did; then a failed threshold; then failed requests.
func TestOutcome(t *testing.T) {
	failed := []threshold.Result{{Pass: false}}
	passed := []threshold.Result{{Pass: true}}
	tests := []struct {
		name string
		res  Result
		want Outcome
	}{
		{"clean", Result{Snapshot: snapshotOf(t, 10, 0)}, Passed},
		{"failed requests", Result{Snapshot: snapshotOf(t, 10, 1)}, RequestsFailed},
		{"failed threshold", Result{Snapshot: snapshotOf(t, 10, 1), Thresholds: failed}, ThresholdFailed},
		{"thresholds held", Result{Snapshot: snapshotOf(t, 10, 0), Thresholds: passed, ThresholdsPassed: true}, Passed},
		{"nothing measured", Result{Snapshot: snapshotOf(t, 0, 0)}, Incomplete},
		{"nothing measured, thresholds failed", Result{Snapshot: snapshotOf(t, 0, 0), Thresholds: failed}, Incomplete},
		{"no statistics", Result{}, Incomplete},
		{"a worker failed", Result{Snapshot: snapshotOf(t, 10, 0), WorkerErrors: []string{"worker process 1 (pid 7): exit status 2"}}, Incomplete},
		{"a worker failed, and a threshold", Result{Snapshot: snapshotOf(t, 10, 1), Thresholds: failed, WorkerErrors: []string{"x"}}, Incomplete},
	}
	for _, tt := range tests {
		if got := tt.res.Outcome(); got != tt.want {
			t.Errorf("%s: outcome %v, want %v", tt.name, got, tt.want)
		}
	}
	// Abandoned requests alone change nothing: a closed-model run with
	// no stop timeout abandons its requests in flight as a rule.
	s := snapshotOf(t, 10, 0)
	s.Abandoned = results.AbandonedStats{Count: 50, Oldest: time.Second}
	if got := (&Result{Snapshot: s}).Outcome(); got != Passed {
		t.Errorf("a clean run that abandoned requests at the end: %v, want passed", got)
	}
}

// TestAbandonedWarnsOnlyOfHangs: requests cut off at the end are
// warned about when one of them had waited longer than any completed
// response (a hang the percentiles miss), not when they are the usual
// requests of busy users, younger than the slowest response measured.
func TestAbandonedWarnsOnlyOfHangs(t *testing.T) {
	for _, tt := range []struct {
		oldest time.Duration
		warn   bool
	}{
		{0, false}, // nothing abandoned
		{500 * time.Microsecond, false},
		{time.Millisecond, false}, // as old as the slowest response
		{time.Millisecond + time.Microsecond, true},
		{time.Minute, true},
	} {
		s := snapshotOf(t, 10, 0) // every response took 1 ms
		if tt.oldest > 0 {
			s.Abandoned = results.AbandonedStats{Count: 7, Oldest: tt.oldest}
		}
		w := strings.Join(outcomeWarnings(s), "\n")
		if got := strings.Contains(w, "7 requests were still in flight"); got != tt.warn {
			t.Errorf("oldest abandoned after %v, slowest response 1ms: warned %v, want %v (%q)", tt.oldest, got, tt.warn, w)
		}
		if tt.warn && !strings.Contains(w, "longer than any completed response took (1ms)") {
			t.Errorf("oldest abandoned after %v: the warning %q does not name the slowest response", tt.oldest, w)
		}
	}
}

// TestRunThatMeasuredNothingIsIncomplete: a target that never answers
// within the run (here, tasks that wait for the end) leaves a run with no
// completed request: it is incomplete, and its warnings say that nothing
// completed and how many requests were abandoned, and for how long.
func TestRunThatMeasuredNothingIsIncomplete(t *testing.T) {
	hang := func(ctx context.Context, u *users.User) (int64, error) {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	for _, open := range []bool{false, true} {
		spec := goSpec([]users.Task{{Method: "GET", Name: "/hang", Weight: 1, Run: hang}})
		spec.RunTime = 700 * time.Millisecond
		spec.Thresholds = []Threshold{{Expr: "abandoned==0"}}
		if open {
			spec.Open = &OpenModel{Rate: schedule.Constant(20)}
			spec.StopTimeout = time.Millisecond
		} else {
			spec.Users, spec.SpawnRate = 3, 0
		}
		res := doLocal(t, context.Background(), spec, Hooks{})
		if got := res.Outcome(); got != Incomplete {
			t.Errorf("open %v: outcome %v, want incomplete", open, got)
		}
		a := res.Snapshot.Abandoned
		if a.Count == 0 || a.Oldest < 300*time.Millisecond || a.Oldest > 2*time.Second {
			t.Errorf("open %v: abandoned %+v, want the hung requests, the oldest after most of the run", open, a)
		}
		w := strings.Join(res.Warnings, "\n")
		for _, want := range []string{"no request completed", "requests were still in flight when the run stopped and were abandoned, the oldest after"} {
			if !strings.Contains(w, want) {
				t.Errorf("open %v: warnings %q lack %q", open, res.Warnings, want)
			}
		}
		if len(res.Thresholds) != 1 || res.Thresholds[0].Pass {
			t.Errorf("open %v: thresholds %+v, want abandoned==0 failed", open, res.Thresholds)
		}
	}
}
