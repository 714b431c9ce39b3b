package chart

import (
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Okabe and Ito's palette: distinguishable with the common forms of colour
// blindness and in greyscale print.
var (
	blue      = color.RGBA{R: 0x00, G: 0x72, B: 0xB2, A: 0xFF}
	orange    = color.RGBA{R: 0xE6, G: 0x9F, B: 0x00, A: 0xFF}
	green     = color.RGBA{R: 0x00, G: 0x9E, B: 0x73, A: 0xFF}
	vermilion = color.RGBA{R: 0xD5, G: 0x5E, B: 0x00, A: 0xFF}
	purple    = color.RGBA{R: 0xCC, G: 0x79, B: 0xA7, A: 0xFF}
	sky       = color.RGBA{R: 0x56, G: 0xB4, B: 0xE9, A: 0xFF}
	black     = color.RGBA{A: 0xFF}
	grey      = color.RGBA{R: 0x80, G: 0x80, B: 0x80, A: 0xFF}
)

// palette returns the i-th colour of the cycle used for series that bring
// no colour of their own. Its first three are the Latency chart's p50, p95
// and p99, so percentiles over time match percentiles per step.
func palette(i int) color.Color {
	cycle := [...]color.Color{blue, orange, vermilion, green, purple, sky, black}
	return cycle[i%len(cycle)]
}

func lineStyle(c color.Color, width float64, dashes ...float64) draw.LineStyle {
	s := draw.LineStyle{Color: c, Width: vg.Points(width)}
	for _, d := range dashes {
		s.Dashes = append(s.Dashes, vg.Points(d))
	}
	return s
}

// glyphs cycle with colours so that series stay apart without colour.
func glyphStyle(i int, c color.Color) draw.GlyphStyle {
	shapes := [...]draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.CrossGlyph{}}
	return draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: shapes[i%len(shapes)]}
}
