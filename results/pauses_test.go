package results

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// TestPausesTravelAndAddUp: a worker's pauses go from its delta, through
// the JSON form, into the coordinator's statistics, where workers' counts
// and times add up and the longest is kept; a reset clears them, and an
// overflow changes nothing.
func TestPausesTravelAndAddUp(t *testing.T) {
	agg := NewAggregator(time.Now(), AggregatorOptions{})
	for _, p := range []PauseStats{{Count: 2, Total: 150 * time.Millisecond, Max: 100 * time.Millisecond}, {Count: 1, Total: 30 * time.Millisecond, Max: 30 * time.Millisecond}} {
		d := NewDelta()
		d.Pause(p)
		if d.Empty() {
			t.Error("a delta with pauses says it is empty")
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"pauses":{"count":`) {
			t.Errorf("wire delta %s lacks the pauses", b)
		}
		var back Delta
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.Pauses(); got != p {
			t.Errorf("after the round trip %+v, want %+v", got, p)
		}
		if err := agg.Add(&back); err != nil {
			t.Fatal(err)
		}
	}
	want := PauseStats{Count: 3, Total: 180 * time.Millisecond, Max: 100 * time.Millisecond}
	if got := agg.Snapshot(time.Now()).Pauses; got != want {
		t.Errorf("snapshot pauses %+v, want %+v", got, want)
	}
	agg.Reset(time.Now())
	if got := agg.Snapshot(time.Now()).Pauses; got.Count != 0 {
		t.Errorf("pauses %+v after a reset", got)
	}

	none := NewDelta()
	none.Pause(PauseStats{})
	if !none.Empty() {
		t.Error("no pause made the delta non-empty")
	}
	m := NewDelta()
	m.Pause(PauseStats{Count: math.MaxInt64, Total: time.Second, Max: time.Second})
	o := NewDelta()
	o.Pause(PauseStats{Count: 1, Total: time.Hour, Max: time.Hour})
	if err := m.Merge(o); err == nil {
		t.Error("a merge that overflows the pause count succeeded")
	}
	if got := m.Pauses(); got.Count != math.MaxInt64 || got.Max != time.Second {
		t.Errorf("a failed merge changed the delta: %+v", got)
	}
	agg = NewAggregator(time.Now(), AggregatorOptions{})
	if err := agg.Add(m); err != nil {
		t.Fatal(err)
	}
	if err := agg.Add(o); err == nil {
		t.Error("adding a delta that overflows the pause count succeeded")
	}
}

func TestPausesWireChecks(t *testing.T) {
	for _, in := range []string{
		`{"version":1,"entries":[],"errors":[],"pauses":{"count":0,"total_us":1,"max_us":1}}`,
		`{"version":1,"entries":[],"errors":[],"pauses":{"count":1,"total_us":-1,"max_us":0}}`,
		`{"version":1,"entries":[],"errors":[],"pauses":{"count":1,"total_us":10,"max_us":11}}`,
		`{"version":1,"entries":[],"errors":[],"pauses":{"count":1,"total_us":9223372036854775807,"max_us":1}}`,
	} {
		var d Delta
		if err := json.Unmarshal([]byte(in), &d); err == nil || !strings.Contains(err.Error(), "pauses") {
			t.Errorf("%s: error %v, want one about the pauses", in, err)
		}
	}
}
