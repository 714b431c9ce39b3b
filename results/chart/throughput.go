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
	"gonum.org/v1/plot/vg/draw"
)

// Step is one measured step of a sweep.
type Step struct {
	// Label names the step on a categorical axis ("mutex", "sharded");
	// numeric sweeps may leave it empty.
	Label string
	// N is the step's size on a numeric axis; ignored when categorical.
	N float64
	// X is the measured throughput.
	X float64
}

// Curve is a fitted model drawn as a smooth line.
type Curve struct {
	// Name is the legend entry, such as "USL (σ=0.05, κ=0.002)".
	Name string
	// F gives the model's throughput at n. It is sampled between the
	// smallest and largest measured N; values that are not finite are
	// left out.
	F func(n float64) float64
	// Color is optional; curves without one take the palette in order.
	Color color.Color
}

// Scale chooses how a numeric x axis is spaced.
type Scale int

// Axis scales.
const (
	// AutoScale picks Log for sweeps that grow geometrically over at least
	// a factor of eight (1, 2, 4, 8, …), where a linear axis would crowd the
	// first steps together, and Linear otherwise.
	AutoScale Scale = iota
	Linear
	Log
)

// ScalingData is a sweep to draw with Throughput.
type ScalingData struct {
	// Dimension names what the sweep varies, for the x axis: "workers",
	// "users", "rate (requests/s)", "store".
	Dimension string
	// Unit is the throughput's unit for the y axis; "requests/s" when
	// empty.
	Unit string
	// Steps are the measurements, in any order. On a numeric axis, steps
	// whose N is not finite and positive or whose X is not finite and
	// non-negative are left out.
	Steps []Step
	// Categorical draws one bar per step, labelled with Label, in the
	// given order; fits and the ideal are not drawn, as N means nothing.
	Categorical bool
	// Ideal is X(1), for the line of linear scaling X(1)·N; 0 draws no
	// ideal.
	Ideal float64
	// Curves are fitted models, typically Amdahl's law and the USL. They
	// and the ideal are drawn only when the steps span more than one N.
	Curves []Curve
	// XScale spaces a numeric x axis.
	XScale Scale
}

// curveSamples is how many points a fitted curve is drawn with; enough
// for a smooth line at any chart width.
const curveSamples = 200

// Throughput draws a sweep's measured throughput against its steps with the
// fitted curves and the linear ideal, or, for a categorical sweep, one bar
// per step. It returns an error wrapping ErrNoData when no step has a
// finite, non-negative throughput.
func Throughput(w io.Writer, f Format, d ScalingData, o Options) error {
	unit := d.Unit
	if unit == "" {
		unit = "requests/s"
	}
	title := o.Title
	p, grid := newPlotGrid(title, o.label(d.Dimension, o.XLabel), o.label("throughput ("+unit+")", o.YLabel))
	p.Y.Tick.Marker = numberTicks{}
	leg := newLegend()
	if d.Categorical {
		grid.Vertical.Color = nil
		if err := throughputBars(p, d, o); err != nil {
			return err
		}
		return render(w, f, o, p, nil)
	}

	var pts plotter.XYs
	for _, s := range d.Steps {
		if finite(s.N) && finite(s.X) && s.X >= 0 && s.N > 0 {
			pts = append(pts, plotter.XY{X: s.N, Y: s.X})
		}
	}
	if len(pts) == 0 {
		return fmt.Errorf("throughput chart: %d steps, none with a finite N > 0 and X ≥ 0: %w", len(d.Steps), ErrNoData)
	}
	slices.SortStableFunc(pts, func(a, b plotter.XY) int { return compareFloat(a.X, b.X) })
	lo, hi := pts[0].X, pts[len(pts)-1].X
	logX := useLog(d.XScale, pts)
	if logX {
		p.X.Scale = plot.LogScale{}
	}
	ns := make([]float64, 0, len(pts))
	for _, pt := range pts {
		if len(ns) == 0 || ns[len(ns)-1] != pt.X {
			ns = append(ns, pt.X)
		}
	}
	p.X.Tick.Marker = axisTicks(ns, logX)
	if lo == hi {
		// One step: give the axis some width around it, as gonum's
		// default (±1) would reach zero, which a log axis cannot show.
		p.X.Min, p.X.Max = lo*0.5, lo*1.5
	}

	measured := 0.0
	for _, pt := range pts {
		measured = math.Max(measured, pt.Y)
	}
	// The y axis fits the measurements and the curves, except that a curve
	// far above every measurement (a poor fit's runaway) may raise it by
	// half at most: it is clipped, and the data stay readable.
	top := measured
	var lines []*plotter.Line
	ci := 0
	for _, c := range d.Curves {
		if c.F == nil || lo == hi { // one step: a curve would be a point
			continue
		}
		xys := sampleCurve(c.F, lo, hi, logX)
		if len(xys) < 2 {
			continue
		}
		col := c.Color
		if col == nil {
			col = []color.Color{blue, orange, purple, green}[ci%4]
		}
		ci++
		l, err := plotter.NewLine(xys)
		if err != nil {
			return fmt.Errorf("throughput chart: curve %q: %w", c.Name, err)
		}
		l.LineStyle = lineStyle(col, 2)
		lines = append(lines, l)
		leg.add(c.Name, l)
		for _, xy := range xys {
			top = math.Max(top, math.Min(xy.Y, 1.5*measured))
		}
	}
	// The ideal grows without bound, so it is clipped to the chart rather
	// than allowed to flatten the measured curve.
	if d.Ideal > 0 && finite(d.Ideal) && lo < hi {
		ideal, err := plotter.NewLine(sampleCurve(func(n float64) float64 { return d.Ideal * n }, lo, hi, logX))
		if err != nil {
			return fmt.Errorf("throughput chart: ideal: %w", err)
		}
		ideal.LineStyle = lineStyle(grey, 1.2, 5, 3)
		p.Add(ideal)
		leg.add(fmt.Sprintf("linear ideal (%s × N)", formatNumber(d.Ideal)), ideal)
	}
	for _, l := range lines {
		p.Add(l)
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return fmt.Errorf("throughput chart: steps: %w", err)
	}
	sc.GlyphStyle = glyphStyle(0, black)
	sc.GlyphStyle.Radius = vg.Points(3.5)
	p.Add(sc)
	leg.add("measured", sc)
	p.Y.Min = 0
	p.Y.Max = niceTop(top * 1.08)
	return render(w, f, o, p, leg)
}

func throughputBars(p *plot.Plot, d ScalingData, o Options) error {
	var vals plotter.Values
	var names []string
	for i, s := range d.Steps {
		if !finite(s.X) || s.X < 0 {
			return fmt.Errorf("throughput chart: step %d (%q): throughput %v, want a finite value ≥ 0", i, s.Label, s.X)
		}
		vals = append(vals, s.X)
		names = append(names, s.Label)
	}
	if len(vals) == 0 {
		return fmt.Errorf("throughput chart: no steps: %w", ErrNoData)
	}
	bars, err := plotter.NewBarChart(vals, barWidth(o, len(vals), 1))
	if err != nil {
		return fmt.Errorf("throughput chart: %w", err)
	}
	bars.Color = blue
	bars.LineStyle.Width = 0
	p.Add(bars)
	// Each bar carries its value: the point of a side-by-side comparison
	// is the numbers, and reading them off the axis is imprecise.
	var xys plotter.XYLabels
	for i, v := range vals {
		xys.XYs = append(xys.XYs, plotter.XY{X: float64(i), Y: v})
		xys.Labels = append(xys.Labels, formatNumber(math.Round(v)))
	}
	labels, err := plotter.NewLabels(xys)
	if err != nil {
		return fmt.Errorf("throughput chart: %w", err)
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Font = sans(tickSize)
		labels.TextStyle[i].XAlign = draw.XCenter
	}
	labels.Offset = vg.Point{Y: vg.Points(3)}
	p.Add(labels)
	p.NominalX(names...)
	p.X.Tick.Label.Font = sans(tickSize)
	p.Y.Min = 0
	p.Y.Max = niceTop(slices.Max(vals) * 1.08)
	return nil
}

// barWidth estimates the width of one bar when groups of perGroup bars
// share each of n categories, leaving a fifth of each category empty. The
// plot area is estimated from the canvas, since gonum sizes bars in
// absolute lengths.
func barWidth(o Options, n, perGroup int) vg.Length {
	w, _, err := o.size()
	if err != nil {
		w = DefaultWidth
	}
	area := vg.Length(float64(w)*pxToPt) * 0.72
	bw := area / vg.Length(n) * 0.8 / vg.Length(perGroup)
	return min(bw, vg.Points(60))
}

// useLog applies AutoScale's rule.
func useLog(s Scale, pts plotter.XYs) bool {
	switch s {
	case Linear:
		return false
	case Log:
		return true
	}
	lo, hi := pts[0].X, pts[len(pts)-1].X
	if hi/lo < 8 {
		return false
	}
	prev := 0.0
	for _, pt := range pts {
		if prev > 0 && pt.X != prev && pt.X/prev < 1.5 {
			return false
		}
		prev = pt.X
	}
	return true
}

// axisTicks marks the steps when they can be read apart, which they always
// can on a log axis of a geometric sweep, and falls back to round numbers
// for dense or uneven linear sweeps.
func axisTicks(ns []float64, logX bool) plot.Ticker {
	if len(ns) <= 12 {
		if logX {
			return stepTicks(ns)
		}
		span := ns[len(ns)-1] - ns[0]
		ok := span > 0
		for i := 1; i < len(ns); i++ {
			if ns[i]-ns[i-1] < span/20 {
				ok = false
			}
		}
		if ok {
			return stepTicks(ns)
		}
	}
	return numberTicks{}
}

// sampleCurve samples f between lo and hi, evenly in N or in log N.
func sampleCurve(f func(float64) float64, lo, hi float64, logX bool) plotter.XYs {
	xys := make(plotter.XYs, 0, curveSamples)
	for i := range curveSamples {
		t := float64(i) / (curveSamples - 1)
		n := lo + t*(hi-lo)
		if logX {
			n = lo * math.Pow(hi/lo, t)
		}
		if y := f(n); finite(y) {
			xys = append(xys, plotter.XY{X: n, Y: y})
		}
	}
	return xys
}

// niceTop rounds an axis maximum up to a round number so the top tick is
// labelled, and gives an all-zero chart a unit range.
func niceTop(v float64) float64 {
	if !(v > 0) || !finite(v) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*mag >= v {
			return m * mag
		}
	}
	return 10 * mag
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
