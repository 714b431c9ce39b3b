package chart

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/plot/plotter"
)

func TestThin(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 50 {
		n := 1 + r.IntN(5000)
		buckets := 10 + r.IntN(900)
		seg := make(plotter.XYs, n)
		x := 0.0
		for i := range seg {
			x += r.ExpFloat64()
			seg[i] = plotter.XY{X: x, Y: r.NormFloat64()}
		}
		if trial%3 == 0 && n > 10 {
			seg[n/2].Y = 1e6 // one spike must survive
		}
		// The bucket grid may span more than the segment, as it does when
		// several segments share a chart.
		tmin, tmax := seg[0].X-r.Float64()*10, seg[n-1].X+r.Float64()*10
		out := thin(seg, tmin, tmax, buckets)

		if n <= 2*buckets {
			if len(out) != n {
				t.Fatalf("trial %d: %d points thinned to %d, want them all kept under %d", trial, n, len(out), 2*buckets)
			}
			continue
		}
		if len(out) > 2*buckets+2 {
			t.Errorf("trial %d: %d points for %d buckets", trial, len(out), buckets)
		}
		if out[0] != seg[0] || out[len(out)-1] != seg[n-1] {
			t.Errorf("trial %d: first or last point lost", trial)
		}
		// Every kept point is an input point, in time order, without
		// repeats.
		j := 0
		for _, p := range out {
			for j < n && seg[j] != p {
				j++
			}
			if j == n {
				t.Fatalf("trial %d: point %v is not from the input in order", trial, p)
			}
			j++
		}
		// Each bucket keeps its extremes.
		type span struct{ lo, hi float64 }
		extremes := func(ps plotter.XYs) map[int]span {
			m := map[int]span{}
			for _, p := range ps {
				b := bucketOf(p.X, tmin, tmax, buckets)
				s, ok := m[b]
				if !ok {
					s = span{p.Y, p.Y}
				}
				m[b] = span{min(s.lo, p.Y), max(s.hi, p.Y)}
			}
			return m
		}
		in, kept := extremes(seg), extremes(out)
		for b, s := range in {
			if kept[b] != s {
				t.Fatalf("trial %d bucket %d: extremes %v, kept %v", trial, b, s, kept[b])
			}
		}
	}
}

func bucketOf(x, tmin, tmax float64, buckets int) int {
	return min(int((x-tmin)/(tmax-tmin)*float64(buckets)), buckets-1)
}

func TestSegments(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		t, v []float64
		want [][]float64 // times of each segment
	}{
		{"empty", nil, nil, nil},
		{"sorted", []float64{0, 1, 2}, []float64{5, 6, 7}, [][]float64{{0, 1, 2}}},
		{"unsorted", []float64{2, 0, 1}, []float64{7, 5, 6}, [][]float64{{0, 1, 2}}},
		{"gap", []float64{0, 1, 2, 3, 4}, []float64{1, nan, inf, 4, 5}, [][]float64{{0}, {3, 4}}},
		{"gap at ends", []float64{0, 1, 2}, []float64{nan, 1, nan}, [][]float64{{1}}},
		{"bad times dropped", []float64{0, nan, 2}, []float64{1, 2, 3}, [][]float64{{0, 2}}},
	}
	for _, tc := range tests {
		segs := segments(tc.t, tc.v)
		var got [][]float64
		for _, s := range segs {
			var ts []float64
			for _, p := range s {
				ts = append(ts, p.X)
				if i := slices.Index(tc.t, p.X); tc.v[i] != p.Y {
					t.Errorf("%s: point at t=%g has value %g, want %g", tc.name, p.X, p.Y, tc.v[i])
				}
			}
			got = append(got, ts)
		}
		if !slices.EqualFunc(got, tc.want, slices.Equal[[]float64]) {
			t.Errorf("%s: segments %v, want %v", tc.name, got, tc.want)
		}
	}
}
