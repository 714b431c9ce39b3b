package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// LatencyStep is one step's response-time percentiles.
type LatencyStep struct {
	// Label names the step on a categorical axis.
	Label string
	// N is the step's size on a numeric axis; ignored when categorical.
	N float64
	// P50, P95 and P99 are in LatencyData.Unit. A value that is not finite
	// (a step without responses) is left out.
	P50, P95, P99 float64
}

// LatencyData is a sweep's latency to draw with Latency.
type LatencyData struct {
	// Dimension names what the sweep varies, for the x axis.
	Dimension string
	// Unit is the unit of the percentiles for the y axis; "ms" when
	// empty.
	Unit string
	// Steps are the measurements; numeric ones may come in any order,
	// categorical ones are drawn in the given order.
	Steps []LatencyStep
	// Categorical draws grouped bars, one group per step labelled with
	// Label, instead of lines against N.
	Categorical bool
	// XScale spaces a numeric x axis.
	XScale Scale
}

var percentileColors = [3]color.Color{blue, orange, vermilion}

// Latency draws p50, p95 and p99 for each step of a sweep: one line each
// against N, or grouped bars for a categorical sweep. It returns an error
// wrapping ErrNoData when there is no step to draw.
func Latency(w io.Writer, f Format, d LatencyData, o Options) error {
	unit := d.Unit
	if unit == "" {
		unit = "ms"
	}
	p, grid := newPlotGrid(o.Title, o.label(d.Dimension, o.XLabel), o.label("response time ("+unit+")", o.YLabel))
	p.Y.Tick.Marker = numberTicks{}
	leg := newLegend()
	names := [3]string{"p50", "p95", "p99"}
	pick := func(s LatencyStep, i int) float64 { return [3]float64{s.P50, s.P95, s.P99}[i] }
	top := 0.0

	if d.Categorical {
		if len(d.Steps) == 0 {
			return fmt.Errorf("latency chart: no steps: %w", ErrNoData)
		}
		grid.Vertical.Color = nil
		bw := barWidth(o, len(d.Steps), 3)
		labels := make([]string, len(d.Steps))
		for i := range 3 {
			vals := make(plotter.Values, len(d.Steps))
			for j, s := range d.Steps {
				labels[j] = s.Label
				if v := pick(s, i); finite(v) && v >= 0 {
					vals[j] = v
					top = math.Max(top, v)
				}
			}
			bars, err := plotter.NewBarChart(vals, bw)
			if err != nil {
				return fmt.Errorf("latency chart: %s: %w", names[i], err)
			}
			bars.Color = percentileColors[i]
			bars.LineStyle.Width = 0
			bars.Offset = bw * vg.Length(i-1)
			p.Add(bars)
			leg.add(names[i], bars)
		}
		p.NominalX(labels...)
		p.X.Tick.Label.Font = sans(tickSize)
	} else {
		steps := slices.Clone(d.Steps)
		steps = slices.DeleteFunc(steps, func(s LatencyStep) bool { return !finite(s.N) || s.N <= 0 })
		if len(steps) == 0 {
			return fmt.Errorf("latency chart: %d steps, none with a finite N > 0: %w", len(d.Steps), ErrNoData)
		}
		slices.SortStableFunc(steps, func(a, b LatencyStep) int { return compareFloat(a.N, b.N) })
		all := make(plotter.XYs, len(steps))
		var ns []float64
		for i, s := range steps {
			all[i].X = s.N
			if len(ns) == 0 || ns[len(ns)-1] != s.N {
				ns = append(ns, s.N)
			}
		}
		logX := useLog(d.XScale, all)
		if logX {
			p.X.Scale = plot.LogScale{}
		}
		p.X.Tick.Marker = axisTicks(ns, logX)
		for i := range 3 {
			var xys plotter.XYs
			for _, s := range steps {
				if v := pick(s, i); finite(v) && v >= 0 {
					xys = append(xys, plotter.XY{X: s.N, Y: v})
					top = math.Max(top, v)
				}
			}
			if len(xys) == 0 {
				continue
			}
			l, sc, err := plotter.NewLinePoints(xys)
			if err != nil {
				return fmt.Errorf("latency chart: %s: %w", names[i], err)
			}
			l.LineStyle = lineStyle(percentileColors[i], 2)
			sc.GlyphStyle = glyphStyle(i, percentileColors[i])
			p.Add(l, sc)
			leg.add(names[i], l, sc)
		}
		// One step: give the axis some width around it, as gonum's default
		// (±1) would reach zero, which a log axis cannot show.
		if ns[0] == ns[len(ns)-1] {
			p.X.Min, p.X.Max = ns[0]*0.5, ns[0]*1.5
		}
	}
	p.Y.Min = 0
	p.Y.Max = niceTop(top * 1.08)
	return render(w, f, o, p, leg)
}
