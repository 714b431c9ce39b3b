package sweep

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/results/report"
)

// Compare runs spec once per client kind, in that order, with the same
// seed and a pause of cooldown between runs, so that one run's
// connections and garbage do not weigh on the next. A run cut short by
// ctx ends the comparison with the runs done so far.
func Compare(ctx context.Context, spec *loadgen.Spec, clients []string, cooldown time.Duration, o Options) (*report.Comparison, error) {
	s := *spec
	s.Seed = loadgen.SeedOr(s.Seed)
	dir, err := os.MkdirTemp("", "loadgen-compare-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := &report.Comparison{Version: 1, Seed: s.Seed, Clients: clients}
	for i, kind := range clients {
		if ctx.Err() != nil {
			break
		}
		if i > 0 {
			pause(ctx, cooldown)
		}
		o.progress("compare: running %s (%s)...\n", kind, s.RunTime)
		run := s
		run.Client = kind
		var args []string
		if o.RunArgs != nil {
			args = o.RunArgs(kind)
		}
		c, _, err := o.run(ctx, run, albumsvc.StoreKind(s.Store), dir, kind, args...)
		if err != nil {
			return nil, fmt.Errorf("run with %s: %w", kind, err)
		}
		r := &report.ClientRun{Client: kind, ExitCode: c.exitCode, CPUSeconds: c.cpu.Seconds(),
			MaxRSSMB: float64(c.maxRSS) / (1 << 20), Report: c.data, Rep: c.rep}
		if n := r.Rep.Aggregated.Count; n > 0 {
			r.CPUPerReqUs = r.CPUSeconds * 1e6 / float64(n)
		}
		out.Runs = append(out.Runs, r)
	}
	return out, nil
}
