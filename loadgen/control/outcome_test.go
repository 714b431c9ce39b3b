package control

import (
	"context"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen"
)

// TestFleetWorkerFailuresMakeTheRunIncomplete: a worker process that
// exits with an error mid-run, or a worker that cannot run the test,
// makes the run incomplete (exit 6 on the command line), and the
// warnings say which and how; workers that all did their part do not.
func TestFleetWorkerFailuresMakeTheRunIncomplete(t *testing.T) {
	tests := []struct {
		name  string
		env   []string // the second worker's
		wants []string // in WorkerErrors
	}{
		{"clean", nil, nil},
		{"crashed", []string{"LGC_CRASH_AFTER=700ms"}, []string{"worker process 2 (pid", "exit status 9"}},
		{"refused", []string{"LGC_REFUSE=1"}, []string{"could not run the test: cannot run the coordinator's spec: profile field unknown", "worker process 2 (pid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := newTarget(t)
			spec := testSpec(tg.srv.URL)
			spec.Users, spec.RunTime = 4, 2*time.Second
			var n atomic.Int32
			fleet := &Fleet{
				Workers: 2, Version: "test",
				WorkerCommand: func(url string) (*exec.Cmd, error) {
					i := n.Add(1)
					env := []string{"LGC_URL=" + url, "LGC_ID=w" + string('0'+rune(i)), "LGC_CONNECT_TIMEOUT=5s"}
					if i == 2 {
						env = append(env, tt.env...)
					}
					return helperProcess(t, "worker", env...), nil
				},
				Configure: func(c *CoordinatorConfig) {
					c.Heartbeat, c.Interval, c.MissedHeartbeats = 100*time.Millisecond, 100*time.Millisecond, 3
				},
			}
			r, err := loadgen.Start(context.Background(), fleet, &spec, loadgen.Hooks{Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if res.Snapshot.Total.Count() == 0 {
				t.Fatal("the run measured nothing")
			}
			warnings := strings.Join(res.Warnings, "\n")
			errs := strings.Join(res.WorkerErrors, "\n")
			if tt.wants == nil {
				if got := res.Outcome(); got != loadgen.Passed || errs != "" {
					t.Errorf("outcome %v, worker errors %q; want passed, none", got, res.WorkerErrors)
				}
				return
			}
			if got := res.Outcome(); got != loadgen.Incomplete {
				t.Errorf("outcome %v, want incomplete", got)
			}
			for _, want := range tt.wants {
				if !strings.Contains(errs, want) {
					t.Errorf("worker errors %q lack %q", res.WorkerErrors, want)
				}
			}
			if !strings.Contains(warnings, "worker process 2 (pid") {
				t.Errorf("warnings %q do not name the worker process that failed", res.Warnings)
			}
		})
	}
}
