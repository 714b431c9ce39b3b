package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/internal/embedded"
	"github.com/loadgen/loadgen/loadgen/cli"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/results/report"
)

// compareOnly reports the flags that compare sets for each child run
// itself, or that only compare reads.
func compareOnly(name string) bool {
	switch name {
	case "clients", "cooldown", "client", "host", "seed", "json", "csv", "csv-full-history", "only-summary", "print-interval":
		return true
	}
	return false
}

// clientRun is one client's run in a comparison. Each runs in a child
// process, so its CPU time and peak memory are its own.
type clientRun struct {
	Client      string          `json:"client"`
	ExitCode    int             `json:"exit_code"`
	CPUSeconds  float64         `json:"cpu_s"`
	CPUPerReqUs float64         `json:"cpu_us_per_request"`
	MaxRSSMB    float64         `json:"max_rss_mb"`
	Report      json.RawMessage `json:"report"`
	rep         *report.Report
}

// runCompare runs the same test once per client, with the same seed and
// duration and a cool-down between, and prints them side by side.
func runCompare(ctx context.Context, e env, args []string) (int, error) {
	c, err := cli.NewCommand("compare")
	if err != nil {
		return exitInternal, err
	}
	set, err := c.Parse(args, e.getenv)
	if err != nil {
		if isHelp(err) {
			fmt.Fprint(e.stderr, c.Help())
			return exitOK, nil
		}
		return exitUsage, err
	}
	f, clients, cooldown, fs := c.Run, c.Compare.Clients, c.Compare.Cooldown, c.Flags
	p, err := plan(c, set)
	if err != nil {
		return exitUsage, err
	}
	kinds := strings.Split(clients, ",")
	for i, k := range kinds {
		kinds[i] = strings.TrimSpace(k)
		if !slices.Contains(client.Kinds(), kinds[i]) {
			return exitUsage, usagef("--clients: unknown client %q", kinds[i])
		}
	}
	if cooldown < 0 {
		return exitUsage, usagef("--cooldown %v: must not be negative", cooldown)
	}
	seed := runSeed(&f)
	pass := passThroughExcept(fs, compareOnly)
	tmp, err := os.MkdirTemp("", "loadgen-compare-")
	if err != nil {
		return exitInternal, err
	}
	defer os.RemoveAll(tmp)

	var runs []*clientRun
	for i, kind := range kinds {
		if ctx.Err() != nil {
			break
		}
		if i > 0 && cooldown > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(cooldown):
			}
		}
		fmt.Fprintf(e.stderr, "compare: running %s (%s)...\n", kind, p.runTime)
		r, err := runClient(ctx, e, p, pass, kind, seed, filepath.Join(tmp, kind+".json"))
		if err != nil {
			return exitInternal, fmt.Errorf("run with %s: %w", kind, err)
		}
		runs = append(runs, r)
	}
	if err := writeComparison(e.stdout, runs); err != nil {
		return exitInternal, err
	}
	if f.JSON != "" {
		doc := map[string]any{"version": 1, "seed": seed, "clients": kinds, "runs": runs}
		err := report.WriteFileAtomic(f.JSON, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(doc)
		})
		if err != nil {
			return exitInternal, fmt.Errorf("--json %s: %w", f.JSON, err)
		}
	}
	code := exitOK
	for _, r := range runs {
		if r.ExitCode != exitOK && (code == exitOK || r.ExitCode == exitThreshold) {
			code = r.ExitCode
		}
	}
	return code, nil
}

func isHelp(err error) bool { return errors.Is(err, pflag.ErrHelp) }

// runClient runs one child loadgen against a fresh album service when the
// test has no host, so no run inherits the data of the one before.
func runClient(ctx context.Context, e env, p *testPlan, pass []string, kind string, seed uint64, jsonPath string) (*clientRun, error) {
	host := p.host
	if host == "" {
		srv, err := embedded.Start(p.store, nil)
		if err != nil {
			return nil, err
		}
		defer srv.Stop()
		host = srv.URL
	}
	args := append(append([]string{}, pass...), "--client="+kind, "--host="+host,
		fmt.Sprintf("--seed=%d", seed), "--only-summary", "--json="+jsonPath)
	c, err := runChild(ctx, e, args, jsonPath)
	if err != nil {
		return nil, err
	}
	r := &clientRun{Client: kind, ExitCode: c.exitCode, CPUSeconds: c.cpu.Seconds(), MaxRSSMB: float64(c.maxRSSKB) / 1024, Report: c.data, rep: c.rep}
	if n := r.rep.Aggregated.Count; n > 0 {
		r.CPUPerReqUs = r.CPUSeconds * 1e6 / float64(n)
	}
	return r, nil
}

// writeComparison prints one column per client and, for two or more, the
// ratio of each to the first.
func writeComparison(w io.Writer, runs []*clientRun) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(w, "no runs to compare")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "metric\t"
	for _, r := range runs {
		head += r.Client + "\t"
	}
	for _, r := range runs[1:] {
		head += r.Client + "/" + runs[0].Client + "\t"
	}
	fmt.Fprintln(tw, head)
	pct := func(q string) func(r *clientRun) float64 {
		return func(r *clientRun) float64 { return r.rep.Aggregated.Percentiles[q] }
	}
	rows := []struct {
		name  string
		value func(r *clientRun) float64
		unit  string
	}{
		{"requests/s", func(r *clientRun) float64 { return r.rep.Aggregated.RPS }, "%.1f"},
		{"requests", func(r *clientRun) float64 { return float64(r.rep.Aggregated.Count) }, "%.0f"},
		{"failures", func(r *clientRun) float64 { return float64(r.rep.Aggregated.Failures) }, "%.0f"},
		{"p50 ms", pct("50"), "%.3g"},
		{"p95 ms", pct("95"), "%.3g"},
		{"p99 ms", pct("99"), "%.3g"},
		{"CPU us/request", func(r *clientRun) float64 { return r.CPUPerReqUs }, "%.1f"},
		{"CPU s", func(r *clientRun) float64 { return r.CPUSeconds }, "%.2f"},
		{"peak RSS MB", func(r *clientRun) float64 { return r.MaxRSSMB }, "%.1f"},
	}
	for _, row := range rows {
		line := row.name + "\t"
		for _, r := range runs {
			line += fmt.Sprintf(row.unit, row.value(r)) + "\t"
		}
		base := row.value(runs[0])
		for _, r := range runs[1:] {
			if base == 0 {
				line += "-\t"
			} else {
				line += fmt.Sprintf("%.2fx", row.value(r)/base) + "\t"
			}
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}
