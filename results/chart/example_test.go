package chart_test

import (
	"bytes"
	"fmt"
	"image/png"
	"strings"

	"github.com/loadgen/loadgen/results/chart"
)

// A workers sweep drawn with its fitted curves, as the scaling command
// writes it. The fits would come from results/scaling; here they are
// written out.
func ExampleThroughput() {
	usl := func(n float64) float64 { return 980 * n / (1 + 0.04*(n-1) + 0.003*n*(n-1)) }
	d := chart.ScalingData{
		Dimension: "workers",
		Ideal:     980,
		Curves:    []chart.Curve{{Name: "USL (σ=0.04, κ=0.003)", F: usl}},
	}
	for _, n := range []float64{1, 2, 4, 8, 16} {
		d.Steps = append(d.Steps, chart.Step{N: n, X: usl(n)})
	}
	var svg, img bytes.Buffer
	if err := chart.Throughput(&svg, chart.SVG, d, chart.Options{Title: "Throughput by workers"}); err != nil {
		fmt.Println(err)
		return
	}
	if err := chart.Throughput(&img, chart.PNG, d, chart.Options{Width: 640, Height: 360}); err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := png.DecodeConfig(&img)
	fmt.Println(strings.Contains(svg.String(), "Throughput by workers"), cfg.Width, cfg.Height, err)
	// Output: true 640 360 <nil>
}

// A run's three time-series charts, as the web UI and the HTML report draw
// them.
func ExampleTimeSeries() {
	t := []float64{0, 1, 2, 3, 4}
	charts := []struct {
		opts   chart.Options
		series []chart.Series
	}{
		{chart.Options{Title: "Requests per second", YLabel: "per second"}, []chart.Series{
			{Name: "requests/s", T: t, V: []float64{0, 95, 190, 200, 205}},
			{Name: "failures/s", T: t, V: []float64{0, 0, 2, 0, 1}},
		}},
		{chart.Options{Title: "Response times", YLabel: "ms"}, []chart.Series{
			{Name: "p50", T: t, V: []float64{0, 12, 13, 12, 14}},
			{Name: "p95", T: t, V: []float64{0, 30, 34, 31, 33}},
			{Name: "p99", T: t, V: []float64{0, 55, 61, 58, 70}},
		}},
		{chart.Options{Title: "Users", YLabel: "users"}, []chart.Series{
			{Name: "users", T: t, V: []float64{0, 10, 20, 20, 20}},
		}},
	}
	for _, c := range charts {
		var b bytes.Buffer
		if err := chart.TimeSeries(&b, chart.SVG, c.series, c.opts); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(c.opts.Title, strings.HasPrefix(b.String(), "<?xml"))
	}
	// Output:
	// Requests per second true
	// Response times true
	// Users true
}
