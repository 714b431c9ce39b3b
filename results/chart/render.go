package chart

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Format is an output format.
type Format int

// Output formats.
const (
	SVG Format = iota
	PNG
)

// String returns the format's file extension without the dot.
func (f Format) String() string {
	switch f {
	case SVG:
		return "svg"
	case PNG:
		return "png"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Default and largest chart sizes, in pixels.
const (
	DefaultWidth  = 800
	DefaultHeight = 450
	MaxSize       = 8000
)

// Options are the settings every chart shares.
type Options struct {
	// Width and Height are the size in pixels: a PNG has exactly this
	// size, and an SVG declares it. Zero means DefaultWidth and
	// DefaultHeight.
	Width, Height int
	// Title is drawn above the chart; empty draws none.
	Title string
	// XLabel and YLabel replace the chart's own axis labels when set.
	XLabel, YLabel string
}

// ErrNoData is returned by charts that have nothing to draw.
var ErrNoData = errors.New("chart: no data to draw")

// pxToPt converts CSS pixels (96 per inch) to points (72 per inch), the
// unit gonum/plot draws in.
const pxToPt = 0.75

func (o Options) size() (w, h int, err error) {
	w, h = o.Width, o.Height
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	if w < 100 || h < 100 || w > MaxSize || h > MaxSize {
		return 0, 0, fmt.Errorf("chart: size %d×%d pixels, want each side between 100 and %d", w, h, MaxSize)
	}
	return w, h, nil
}

func (o Options) label(own, override string) string {
	if override != "" {
		return override
	}
	return own
}

// Text sizes, in points.
const (
	titleSize  = 13
	labelSize  = 11
	tickSize   = 9.5
	legendSize = 10
)

// sans is the face every text in a chart uses.
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// newPlot returns a plot with the house style: sans-serif text and a light
// grid.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p, _ := newPlotGrid(title, xlabel, ylabel)
	return p
}

// newPlotGrid is newPlot that also returns the grid, for charts that
// change it.
func newPlotGrid(title, xlabel, ylabel string) (*plot.Plot, *plotter.Grid) {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(titleSize)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = sans(labelSize)
		ax.Tick.Label.Font = sans(tickSize)
		ax.Label.Padding = vg.Points(4)
	}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 215}
	grid.Horizontal.Color = color.Gray{Y: 215}
	p.Add(grid)
	return p, grid
}

// legend collects entries for the column render draws to the right of the
// plot, where it can never hide data.
type legend struct {
	l plot.Legend
	n int
}

func newLegend() *legend {
	l := plot.NewLegend()
	l.TextStyle.Font = sans(legendSize)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(22)
	l.Padding = vg.Points(3)
	return &legend{l: l}
}

func (g *legend) add(name string, thumbs ...plot.Thumbnailer) {
	g.l.Add(name, thumbs...)
	g.n++
}

// minLegendWidth is the narrowest legend column, in points.
const minLegendWidth = 80

// legendGap is the space between the plot and the legend column and
// between the legend and the canvas edge.
const legendGap = 10

// render draws p with its legend onto a canvas of the requested format and
// writes it to w. gonum/plot reports some misuse by panicking; inputs are
// validated before this point, and a panic that still escapes becomes an
// error rather than taking down a server that renders charts.
func render(w io.Writer, f Format, o Options, p *plot.Plot, leg *legend) (err error) {
	wpx, hpx, err := o.size()
	if err != nil {
		return err
	}
	width, height := vg.Length(float64(wpx)*pxToPt), vg.Length(float64(hpx)*pxToPt)
	var c vg.CanvasWriterTo
	switch f {
	case SVG:
		c = vgsvg.New(width, height)
	case PNG:
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(96))}
	default:
		return fmt.Errorf("chart: unknown format %v", f)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("chart: drawing %q failed: %v", p.Title.Text, r)
		}
	}()
	dc := draw.New(c)
	// A white page under the whole chart, legend column included.
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	pc := draw.Crop(dc, vg.Points(4), -vg.Points(legendGap), vg.Points(4), -vg.Points(6))
	if leg != nil && leg.n > 0 {
		r := leg.l.Rectangle(dc)
		// A floor on the column's width keeps the plots of charts shown
		// one above another (a run's rates, times and users) aligned
		// when their legends differ only a little.
		// The text is measured in Liberation Sans; the slack lets an SVG
		// viewer that falls back to a wider face (DejaVu Sans is about a
		// tenth wider) still fit the names inside the canvas.
		lw := max((r.Max.X-r.Min.X)*1.15, vg.Points(minLegendWidth))
		if lw > width/3 {
			lw = width / 3 // an absurdly long name may overflow, not squash the plot
		}
		pc.Max.X -= lw + vg.Points(legendGap)
		data := p.DataCanvas(pc)
		lc := dc
		lc.Min.X = pc.Max.X + vg.Points(legendGap)
		lc.Max.Y = data.Max.Y
		leg.l.Draw(lc)
	}
	p.Draw(pc)
	if f != SVG {
		_, err = c.WriteTo(w)
		return err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return err
	}
	_, err = w.Write(fixSVG(buf.Bytes(), wpx, hpx))
	return err
}

// fixSVG makes gonum's SVG fit for pages: the declared size becomes the
// requested pixels (the viewBox keeps the drawing in points, so it scales),
// and the font-family gains metric-compatible fallbacks.
func fixSVG(b []byte, wpx, hpx int) []byte {
	if i := bytes.Index(b, []byte("<svg width=\"")); i >= 0 {
		if j := bytes.Index(b[i:], []byte(" viewBox=")); j >= 0 {
			head := fmt.Sprintf(`<svg width="%d" height="%d"`, wpx, hpx)
			b = append(append(append([]byte{}, b[:i]...), head...), b[i+j:]...)
		}
	}
	return bytes.ReplaceAll(b, []byte("font-family:Liberation Sans;"), []byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
}
