package results

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// TestAbandonedTravelsAndAddsUp: requests abandoned in flight at the end
// go from a worker's delta, through its JSON form, into the coordinator's
// statistics, where workers' counts add up and the oldest is kept; a
// reset clears them.
func TestAbandonedTravelsAndAddsUp(t *testing.T) {
	start := time.Now()
	agg := NewAggregator(start, AggregatorOptions{})
	for _, a := range []AbandonedStats{{Count: 3, Oldest: 1500 * time.Millisecond}, {Count: 2, Oldest: 30 * time.Second}} {
		d := NewDelta()
		d.Abandon(a.Count, a.Oldest)
		if d.Empty() {
			t.Error("a delta with abandoned requests says it is empty")
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"abandoned":{"count":`) {
			t.Errorf("wire delta %s lacks the abandoned requests", b)
		}
		var back Delta
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.Abandoned(); got != a {
			t.Errorf("after the round trip %+v, want %+v", got, a)
		}
		if err := agg.Add(&back); err != nil {
			t.Fatal(err)
		}
	}
	if got := agg.Snapshot(time.Now()).Abandoned; got.Count != 5 || got.Oldest != 30*time.Second {
		t.Errorf("snapshot abandoned %+v, want 5, the oldest after 30s", got)
	}
	agg.Reset(time.Now())
	if got := agg.Snapshot(time.Now()).Abandoned; got.Count != 0 {
		t.Errorf("abandoned %+v after a reset", got)
	}

	// Deltas merge the same way, and an overflow changes nothing.
	m := NewDelta()
	m.Abandon(math.MaxInt64, time.Second)
	o := NewDelta()
	o.Abandon(1, time.Hour)
	if err := m.Merge(o); err == nil {
		t.Error("a merge that overflows the abandoned count succeeded")
	}
	if got := m.Abandoned(); got.Count != math.MaxInt64 || got.Oldest != time.Second {
		t.Errorf("a failed merge changed the delta: %+v", got)
	}
	agg = NewAggregator(start, AggregatorOptions{})
	if err := agg.Add(m); err != nil {
		t.Fatal(err)
	}
	if err := agg.Add(o); err == nil {
		t.Error("adding a delta that overflows the abandoned count succeeded")
	}
}

func TestAbandonedWireChecks(t *testing.T) {
	for _, in := range []string{
		`{"version":1,"entries":[],"errors":[],"abandoned":{"count":0,"oldest_us":1}}`,
		`{"version":1,"entries":[],"errors":[],"abandoned":{"count":-4,"oldest_us":1}}`,
		`{"version":1,"entries":[],"errors":[],"abandoned":{"count":1,"oldest_us":-1}}`,
		`{"version":1,"entries":[],"errors":[],"abandoned":{"count":1,"oldest_us":9223372036854775807}}`,
	} {
		var d Delta
		if err := json.Unmarshal([]byte(in), &d); err == nil || !strings.Contains(err.Error(), "abandoned") {
			t.Errorf("%s: error %v, want one about the abandoned requests", in, err)
		}
	}
}

// TestCodecRefusesTrailingData: the coordinator's decoder takes one delta
// and nothing after it.
func TestCodecRefusesTrailingData(t *testing.T) {
	var c DeltaCodec
	d := NewDelta()
	if err := c.Unmarshal([]byte(`{"version":1,"entries":[],"errors":[]} {}`), d); err == nil || !strings.Contains(err.Error(), "data after the delta") {
		t.Errorf("error %v, want one about data after the delta", err)
	}
}
