package results

import (
	"strings"
	"testing"
	"time"
)

func TestOpenStatsWarningsAndAdd(t *testing.T) {
	ok := OpenStats{Scheduled: 10, Sent: 10, LateAfter: 10 * time.Millisecond, MaxLag: time.Second}
	if w := ok.Warnings(); len(w) != 0 {
		t.Errorf("a run on schedule warns: %q", w)
	}
	bad := OpenStats{Scheduled: 200, Sent: 150, Dropped: 50, Late: 30, Abandoned: 2, MaxLate: 900 * time.Millisecond, LateAfter: 10 * time.Millisecond, MaxLag: time.Second, MaxInFlight: 8}
	w := bad.Warnings()
	// Abandoned requests are the run's warning, with the closed model's.
	if len(w) != 2 {
		t.Fatalf("warnings %q, want dropped and late", w)
	}
	for i, want := range []string{"50 of 200 scheduled requests (25.00%) were dropped", "30 of 150 sent requests (20.00%) were sent more than 10ms"} {
		if !strings.Contains(w[i], want) {
			t.Errorf("warning %d %q, want it to say %q", i, w[i], want)
		}
	}
	if !strings.Contains(w[0], "could not keep up") {
		t.Errorf("drops without saturation should blame the generator: %q", w[0])
	}
	sum := ok.Add(bad)
	if sum.Scheduled != 210 || sum.Dropped != 50 || sum.MaxLate != 900*time.Millisecond || sum.MaxInFlight != 8 || sum.LateAfter != 10*time.Millisecond {
		t.Errorf("Add = %+v", sum)
	}
	if z := (OpenStats{}).Add(bad); z.MaxLag != time.Second || z.LateAfter != bad.LateAfter {
		t.Errorf("Add to zero stats lost the settings: %+v", z)
	}
}
