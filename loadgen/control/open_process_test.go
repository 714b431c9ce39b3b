package control

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/control/wire"
)

// TestProcessOpenWorkerKilled runs an open-model schedule on two worker
// processes and kills one with SIGKILL: its share of the rate goes to the
// other, no request is sent twice, and the result records the loss with an
// estimate of the requests of its share that were not sent.
func TestProcessOpenWorkerKilled(t *testing.T) {
	tg := newTarget(t)
	const rate, secs = 200, 3
	cfg := fastConfig(t, openSpec(tg.srv.URL, rate))
	cfg.RunTime = secs * time.Second
	cfg.ExpectWorkers = 2
	cfg.Heartbeat = 200 * time.Millisecond
	cfg.MissedHeartbeats = 3
	cfg.Token = "tok"
	c, srv := startCoordinator(t, cfg)
	fleet := startWorkerProcesses(t, 2, srv.URL, "p", "5s")
	runDone := runCoordinator(context.Background(), c)
	waitFor(t, 30*time.Second, "requests from both worker processes", func() bool {
		ws := c.Workers()
		return len(ws) == 2 && ws[0].Requests > 0 && ws[1].Requests > 0
	})
	if err := syscall.Kill(fleet.PIDs()[1], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	out := <-runDone
	if out.err != nil {
		t.Fatal(out.err)
	}
	res := out.res
	served := tg.requests.Load()
	want := int64(rate * secs)
	if served > want {
		t.Errorf("the target got %d requests, more than the schedule's %d", served, want)
	}
	if res.OpenUnsent <= 0 || served+res.OpenUnsent < want-2 {
		t.Errorf("served %d, estimated unsent %d: want them to account for the schedule's %d", served, res.OpenUnsent, want)
	}
	lost, kept := byID(res.Workers, "p1"), byID(res.Workers, "p0")
	if lost.State != string(wire.StateMissing) || lost.Open == nil {
		t.Errorf("killed worker's row %+v: want missing, with the counts it reported", lost)
	}
	if kept.Open == nil || kept.Open.Scheduled <= uint64(want/2) {
		t.Errorf("surviving worker's counts %+v: want more than its first half share", kept.Open)
	}
	if res.Open == nil || res.Open.Scheduled > uint64(want) || res.Open.Scheduled < uint64(want-res.OpenUnsent-2) {
		t.Errorf("fleet counts %+v with %d unsent, want them to add up to the schedule's %d", res.Open, res.OpenUnsent, want)
	}
	found := false
	for _, w := range res.Warnings {
		found = found || (strings.Contains(w, "p1") && strings.Contains(w, "went to the other workers") && strings.Contains(w, "were not sent"))
	}
	if !found {
		t.Errorf("warnings %q, want one recording the killed worker and its share", res.Warnings)
	}
}
