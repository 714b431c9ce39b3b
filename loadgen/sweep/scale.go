package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/schedule"
	"github.com/loadgen/loadgen/results/scaling"
)

// Over is a sweep's dimension and its values: workers, users or rate
// (numbers, fitted), or store (the embedded service's stores, compared
// side by side).
type Over struct {
	Dimension string
	Values    []string
}

// Dimensions are the dimensions a sweep can go over.
func Dimensions() []string { return []string{"workers", "users", "rate", "store"} }

// ParseOver reads DIM=V1,V2,...
func ParseOver(over string) (Over, error) {
	if over == "" {
		return Over{}, errors.New("--over is required, e.g. --over workers=1,2,4,8")
	}
	dim, list, ok := strings.Cut(over, "=")
	if !ok {
		return Over{}, fmt.Errorf("--over %q: want DIM=V1,V2,... such as workers=1,2,4,8", over)
	}
	switch dim {
	case "workers", "users", "rate", "store":
	default:
		return Over{}, fmt.Errorf("--over %q: unknown dimension %q; want workers, users, rate or store", over, dim)
	}
	o := Over{Dimension: dim}
	seen := map[string]bool{}
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			return Over{}, fmt.Errorf("--over %q: empty value", over)
		}
		if seen[v] {
			return Over{}, fmt.Errorf("--over %q: %s appears twice", over, v)
		}
		seen[v] = true
		if dim == "store" {
			if _, err := albumsvc.ParseStoreKind(v); err != nil {
				return Over{}, fmt.Errorf("--over %q: %w", over, err)
			}
		} else if n, err := strconv.ParseFloat(v, 64); err != nil || n <= 0 || (dim != "rate" && n != float64(int(n))) {
			kind := "whole number"
			if dim == "rate" {
				kind = "number"
			}
			return Over{}, fmt.Errorf("--over %q: %q is not a positive %s", over, v, kind)
		}
		o.Values = append(o.Values, v)
	}
	return o, nil
}

// Steps are how long each step of a sweep runs: a warm-up that is not
// counted, then the measured window, with a pause between steps.
type Steps struct {
	Warmup, Step, Cooldown time.Duration
}

// Scale runs spec once per value of the dimension, each after its
// warm-up, and fits Amdahl's law and the USL to the throughputs. A step
// cut short by ctx ends the sweep with the steps measured so far.
func Scale(ctx context.Context, spec *loadgen.Spec, over Over, steps Steps, o Options) (*scaling.Sweep, error) {
	if over.Dimension == "store" && !spec.Embedded() {
		return nil, errors.New("--over store=... sweeps the embedded album service's stores; it cannot be used with --host")
	}
	s := *spec
	s.Seed = loadgen.SeedOr(s.Seed)
	s.Warmup, s.RunTime = steps.Warmup, steps.Warmup+steps.Step
	dir, err := os.MkdirTemp("", "loadgen-scale-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	res := &scaling.Sweep{Version: 1, Dimension: over.Dimension, Warmup: steps.Warmup.String(), Step: steps.Step.String(), Seed: s.Seed}
	for i, v := range over.Values {
		if ctx.Err() != nil {
			break
		}
		if i > 0 {
			pause(ctx, steps.Cooldown)
		}
		o.progress("scale: %s=%s (%s warm-up, %s measured)...\n", over.Dimension, v, steps.Warmup, steps.Step)
		st, err := o.step(ctx, s, over.Dimension, v, dir, fmt.Sprintf("step%d", i))
		if err != nil {
			return nil, fmt.Errorf("step %s=%s: %w", over.Dimension, v, err)
		}
		res.Steps = append(res.Steps, st)
	}
	if len(res.Steps) == 0 {
		return nil, errors.New("no step was measured")
	}
	res.Fit()
	return res, nil
}

// step runs one step: the spec with the dimension set to value.
func (o Options) step(ctx context.Context, s loadgen.Spec, dim, value, dir, name string) (*scaling.SweepStep, error) {
	st := &scaling.SweepStep{Label: dim + "=" + value, Value: value}
	store := albumsvc.StoreKind(s.Store)
	var args []string
	n, _ := strconv.ParseFloat(value, 64)
	switch dim {
	case "store":
		store = albumsvc.StoreKind(value)
		s.Store = value
	case "users":
		st.N = n
		s.Users = int(n)
	case "rate":
		st.N = n
		m := loadgen.OpenModel{}
		if s.Open != nil {
			m = *s.Open
		}
		m.Rate = schedule.Constant(n)
		s.Open, s.Users, s.SpawnRate = &m, 0, 0
	case "workers":
		st.N = n
		args = []string{"--workers", value}
	}
	c, serverCPU, err := o.run(ctx, s, store, dir, name, args...)
	if err != nil {
		return nil, err
	}
	st.ExitCode, st.Report = c.exitCode, c.data
	if wall := c.wall.Seconds() * float64(runtime.NumCPU()); wall > 0 {
		st.GenCPU = c.cpu.Seconds() / wall
		if s.Embedded() {
			st.ServerCPU, st.ServerKnown = serverCPU.Seconds()/wall, true
		}
	}
	a := c.rep.Aggregated
	st.RPS, st.Requests, st.Failures = a.RPS, a.Count, a.Failures
	st.P50Ms, st.P95Ms, st.P99Ms = a.Percentiles["50"], a.Percentiles["95"], a.Percentiles["99"]
	return st, nil
}
