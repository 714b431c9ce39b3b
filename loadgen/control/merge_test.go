package control

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/results"
)

// TestMergeIsExact sends reports from three workers over HTTP and checks
// that the coordinator's statistics equal those of one aggregator fed the
// same measurements directly: same counts, extremes, mean and every
// reported percentile.
func TestMergeIsExact(t *testing.T) {
	cfg := fastConfig(t, testSpec("http://127.0.0.1:9"))
	cfg.ExpectWorkers = 3
	c, srv := startCoordinator(t, cfg)
	wc := wireClient{t: t, url: srv.URL}
	ids := []string{"w1", "w2", "w3"}
	for _, id := range ids {
		wc.register(id)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runDone := runCoordinator(ctx, c)
	for _, id := range ids {
		if cmd, _ := wc.poll(id, 0); cmd == nil || cmd.Kind != wire.CommandSpawn {
			t.Fatalf("%s: want a spawn command, got %+v", id, cmd)
		}
	}

	reference := results.NewAggregator(time.Now(), results.AggregatorOptions{})
	seq := map[string]uint64{}
	for round := range 4 {
		for i, id := range ids {
			// Workers see different latency ranges, so a merge that
			// averaged percentiles instead of histograms would show.
			d := recordedDelta(200+100*i, round*10+i)
			if err := reference.Add(d); err != nil {
				t.Fatal(err)
			}
			seq[id]++
			if st, ack := wc.report(id, c.RunID(), seq[id], false, d); st != http.StatusOK || !ack.Applied {
				t.Fatalf("%s report %d: HTTP %d %+v", id, seq[id], st, ack)
			}
		}
	}
	cancel()
	for _, id := range ids {
		seq[id]++
		wc.final(id, c.RunID(), seq[id])
	}
	for _, id := range ids {
		wc.awaitQuit(id)
	}
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	want := reference.Snapshot(time.Now())
	got := out.res.Snapshot
	if len(got.Entries) != len(want.Entries) {
		t.Fatalf("%d entries, want %d", len(got.Entries), len(want.Entries))
	}
	compare := func(name string, g, w results.EntryStats) {
		t.Helper()
		if g.Count() != w.Count() || g.Failures() != w.Failures() || g.Bytes() != w.Bytes() {
			t.Errorf("%s: count/failures/bytes %d/%d/%d, want %d/%d/%d", name, g.Count(), g.Failures(), g.Bytes(), w.Count(), w.Failures(), w.Bytes())
		}
		if g.Min() != w.Min() || g.Max() != w.Max() || g.Avg() != w.Avg() {
			t.Errorf("%s: min/max/avg %v/%v/%v, want %v/%v/%v", name, g.Min(), g.Max(), g.Avg(), w.Min(), w.Max(), w.Avg())
		}
		gp, wp := g.Latency().Reported(), w.Latency().Reported()
		levels := results.ReportedPercentiles()
		for i := range gp {
			if gp[i] != wp[i] {
				t.Errorf("%s: p%s = %v, want %v", name, results.PercentileKey(levels[i]), gp[i], wp[i])
			}
		}
		for _, q := range []float64{0.001, 0.123, 0.9999} {
			if g.Percentile(q) != w.Percentile(q) {
				t.Errorf("%s: percentile %g = %v, want %v", name, q, g.Percentile(q), w.Percentile(q))
			}
		}
	}
	compare("Aggregated", got.Total, want.Total)
	for i := range want.Entries {
		compare(fmt.Sprint(want.Entries[i].Key()), got.Entries[i], want.Entries[i])
	}
	if len(got.Errors) != len(want.Errors) || got.Errors[0].Count != want.Errors[0].Count {
		t.Errorf("errors %+v, want %+v", got.Errors, want.Errors)
	}
	// Each worker's row counts what it sent.
	for i, ws := range out.res.Workers {
		wantReq := int64(4 * (200 + 100*i))
		if ws.Requests != wantReq {
			t.Errorf("worker %s: %d requests, want %d", ws.ID, ws.Requests, wantReq)
		}
	}
}
