package chart

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a time-series chart.
type Series struct {
	// Name is the legend entry; a series without one has no entry.
	Name string
	// T holds seconds since the start of the run, V the values at those
	// times; they must have the same length. Points need not be sorted. A
	// point whose V is not finite (a second without responses has no
	// percentile) breaks the line there rather than being drawn as zero.
	T, V []float64
	// Color is optional; series without one take the palette in order,
	// which starts with the Latency chart's colours for p50, p95 and p99.
	Color color.Color
}

// TimeSeries draws series against elapsed time, labelled m:ss (h:mm:ss from
// one hour). The web UI and the HTML report draw a run with three calls:
// requests/s with failures/s, p50/p95/p99 response times, and users.
//
// Series longer than the chart is wide are thinned before drawing: the
// time range is cut into one bucket per horizontal pixel (Options.Width),
// and each bucket keeps only its lowest and highest point, in time order,
// plus each segment's first and last point. The drawn line covers exactly
// the pixels the full series would, spikes included, while the SVG of an
// hour of one-second points stays small (about 1,600 points per series
// at the default width instead of 3,600).
//
// With no points at all it draws empty axes with a "no data yet" note, so
// a page can show the chart before a run's first second.
func TimeSeries(w io.Writer, f Format, series []Series, o Options) error {
	wpx, _, err := o.size()
	if err != nil {
		return err
	}
	p := newPlot(o.Title, o.label("elapsed time", o.XLabel), o.YLabel)
	p.X.Tick.Marker = timeTicks{}
	p.Y.Tick.Marker = numberTicks{}
	leg := newLegend()

	tmin, tmax := math.Inf(1), math.Inf(-1)
	cleaned := make([][]plotter.XYs, len(series))
	for i, s := range series {
		if len(s.T) != len(s.V) {
			return fmt.Errorf("time-series chart: series %d (%q): %d times but %d values", i, s.Name, len(s.T), len(s.V))
		}
		cleaned[i] = segments(s.T, s.V)
		for _, seg := range cleaned[i] {
			tmin = math.Min(tmin, seg[0].X)
			tmax = math.Max(tmax, seg[len(seg)-1].X)
		}
	}
	top := 0.0
	ci := 0
	for i, s := range series {
		if len(cleaned[i]) == 0 {
			continue
		}
		col := s.Color
		if col == nil {
			col = palette(ci)
			ci++
		}
		style := lineStyle(col, 1.5)
		var thumb plot.Thumbnailer
		for _, seg := range cleaned[i] {
			seg = thin(seg, tmin, tmax, wpx)
			for _, xy := range seg {
				top = math.Max(top, xy.Y)
			}
			if len(seg) == 1 {
				// A lone point draws no line; a dot keeps it visible.
				sc, err := plotter.NewScatter(seg)
				if err != nil {
					return fmt.Errorf("time-series chart: series %q: %w", s.Name, err)
				}
				sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
				p.Add(sc)
				continue
			}
			l, err := plotter.NewLine(seg)
			if err != nil {
				return fmt.Errorf("time-series chart: series %q: %w", s.Name, err)
			}
			l.LineStyle = style
			p.Add(l)
			thumb = l
		}
		if s.Name != "" {
			if thumb == nil {
				l := &plotter.Line{LineStyle: style}
				thumb = l
			}
			leg.add(s.Name, thumb)
		}
	}
	if math.IsInf(tmin, 1) {
		p.X.Min, p.X.Max = 0, 60
		p.Add(note{text: "no data yet"})
	} else if tmin == tmax {
		p.X.Min, p.X.Max = tmin-1, tmax+1
	} else {
		p.X.Min, p.X.Max = tmin, tmax
	}
	p.Y.Min = 0
	p.Y.Max = niceTop(top * 1.05)
	return render(w, f, o, p, leg)
}

// segments returns the finite points of t, v sorted by time and split
// wherever a value is missing.
func segments(t, v []float64) []plotter.XYs {
	idx := make([]int, len(t))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return compareFloat(t[a], t[b]) })
	var segs []plotter.XYs
	var cur plotter.XYs
	for _, i := range idx {
		if !finite(t[i]) {
			continue
		}
		if !finite(v[i]) {
			if len(cur) > 0 {
				segs = append(segs, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: t[i], Y: v[i]})
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}

// thin keeps, for each of buckets equal slices of [tmin, tmax], the
// lowest and highest point of seg, in time order, and always the first
// and last point of seg. Short segments come back unchanged.
func thin(seg plotter.XYs, tmin, tmax float64, buckets int) plotter.XYs {
	if len(seg) <= 2*buckets || tmax <= tmin {
		return seg
	}
	out := make(plotter.XYs, 0, 2*buckets+2)
	out = append(out, seg[0])
	last := 0 // index in seg of the last point appended
	bucket := func(x float64) int {
		return min(int((x-tmin)/(tmax-tmin)*float64(buckets)), buckets-1)
	}
	for start := 0; start < len(seg); {
		b := bucket(seg[start].X)
		end := start
		lo, hi := start, start
		for end < len(seg) && bucket(seg[end].X) == b {
			if seg[end].Y < seg[lo].Y {
				lo = end
			}
			if seg[end].Y > seg[hi].Y {
				hi = end
			}
			end++
		}
		for _, k := range []int{min(lo, hi), max(lo, hi)} {
			if k > last {
				out = append(out, seg[k])
				last = k
			}
		}
		start = end
	}
	if last != len(seg)-1 {
		out = append(out, seg[len(seg)-1])
	}
	return out
}

// note draws a message in the middle of the data area.
type note struct{ text string }

func (n note) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := text.Style{
		Color:   grey,
		Font:    sans(labelSize),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
	c.FillText(sty, c.Center(), n.text)
}
