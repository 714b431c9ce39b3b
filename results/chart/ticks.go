package chart

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// stepTicks marks the measured steps themselves, which is what a reader
// looks for on a sweep's x axis ("what happened at 8 workers?").
func stepTicks(ns []float64) plot.Ticker {
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var ts []plot.Tick
		for _, n := range ns {
			if n >= lo && n <= hi {
				ts = append(ts, plot.Tick{Value: n, Label: strconv.FormatFloat(n, 'g', 6, 64)})
			}
		}
		return ts
	})
}

// numberTicks labels a linear axis at five to ten round values (steps of
// 1, 2, 2.5 or 5 times a power of ten), with labels that never switch to
// exponent notation for the magnitudes load tests produce and that group
// thousands with a thin space (12 500 rather than 12500 or 1.25e+04).
// gonum's default ticker labels only about three values, too few to read
// a value off the chart.
type numberTicks struct{}

func (numberTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || !finite(lo) || !finite(hi) {
		return []plot.Tick{{Value: lo, Label: formatNumber(lo)}}
	}
	span := hi - lo
	mag := math.Pow(10, math.Floor(math.Log10(span)))
	step := mag
	for _, m := range []float64{0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10} {
		if span/(m*mag) <= 8 {
			step = m * mag
			break
		}
	}
	var ts []plot.Tick
	for i := math.Ceil(lo/step - 1e-9); i*step <= hi+step*1e-9 && len(ts) < 20; i++ {
		v := i * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ts = append(ts, plot.Tick{Value: v, Label: formatNumber(v)})
	}
	return ts
}

// formatNumber writes v for an axis: integers in groups of three, other
// values with at most three significant decimals.
func formatNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e15 || a < 1e-3:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case a >= 1000 || v == math.Trunc(v):
		s := strconv.FormatFloat(math.Round(math.Abs(v)), 'f', 0, 64)
		out := make([]byte, 0, len(s)+len(s)/3+1)
		if v < 0 {
			out = append(out, '-')
		}
		for i := range len(s) {
			if i > 0 && (len(s)-i)%3 == 0 {
				out = append(out, "\u2009"...)
			}
			out = append(out, s[i])
		}
		return string(out)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// timeTicks labels elapsed seconds as m:ss or h:mm:ss at round intervals
// (10 s, 1 min, 5 min, …) chosen so that about six labels fit.
type timeTicks struct{}

func (timeTicks) Ticks(lo, hi float64) []plot.Tick {
	steps := []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}
	span := hi - lo
	step := steps[len(steps)-1]
	for _, s := range steps {
		if span/s <= 7 {
			step = s
			break
		}
	}
	for span/step > 7 { // longer than a week of seconds: keep doubling
		step *= 2
	}
	var ts []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9 && len(ts) < 100; v += step {
		ts = append(ts, plot.Tick{Value: v, Label: formatElapsed(v)})
	}
	return ts
}

// formatElapsed writes seconds as m:ss, or h:mm:ss from one hour.
func formatElapsed(sec float64) string {
	s := int64(math.Round(sec))
	sign := ""
	if s < 0 {
		sign, s = "-", -s
	}
	if s >= 3600 {
		return fmt.Sprintf("%s%d:%02d:%02d", sign, s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%s%d:%02d", sign, s/60, s%60)
}
