// Package chart draws loadgen's charts: the throughput of a scaling sweep
// with its fitted models, latency percentiles per step, and a run's series
// over time. The scaling command, the web UI and the HTML report all draw
// through it, so a chart looks the same wherever it appears.
//
// Charts are drawn with gonum/plot and written to an io.Writer as SVG or
// PNG. Inputs are plain values (steps, points, functions, slices), so the
// package depends on nothing else in loadgen.
//
// SVG output is self-contained: it references no URL, no stylesheet and no
// font file. Text is set in Liberation Sans, whose metrics match Arial, and
// the font-family falls back to Arial, Helvetica and sans-serif, so a
// viewer without Liberation lays the text out in the same space. Fonts are
// not embedded, which would add hundreds of kilobytes to every chart.
//
// Long series are thinned before drawing (see TimeSeries) so that an
// hour-long run stays a small SVG: a chart never draws more than a few
// points per horizontal pixel, and thinning keeps every spike.
package chart
