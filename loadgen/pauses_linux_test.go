package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/pausetest"

	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/loadgen/users"
)

// TestRunsReportTheGeneratorsPauses: a generator stopped for 150 ms in the
// middle of a run, closed or open model, reports a pause at least that
// long in its statistics.
func TestRunsReportTheGeneratorsPauses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	closed := openSpec([]users.Task{getTask(srv.URL)}, schedule.Constant(100))
	closed.Open, closed.Users, closed.SpawnRate = nil, 2, 0
	open := openSpec([]users.Task{getTask(srv.URL)}, schedule.Constant(100))
	for _, tc := range []struct {
		name string
		spec *Spec
	}{{"closed model", closed}, {"open model", open}} {
		tc.spec.Host, tc.spec.RunTime = srv.URL, 600*time.Millisecond
		r, err := Start(context.Background(), Local{}, tc.spec, Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		pausetest.Pause(t, 150*time.Millisecond)
		res, err := r.Wait()
		if err != nil {
			t.Fatal(err)
		}
		p := res.Snapshot.Pauses
		// Up to a meter's period of the pause falls in its sleep.
		if p.Count < 1 || p.Max < 150*time.Millisecond-pausePeriod || p.Total < p.Max {
			t.Errorf("%s: pauses %+v, want one of 100 to 150ms", tc.name, p)
		}
		if res.Snapshot.Total.Count() == 0 {
			t.Errorf("%s: nothing measured", tc.name)
		}
	}
}
