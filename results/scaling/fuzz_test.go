package scaling

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzFit checks that the fits never panic and never return a non-finite
// or out-of-bounds number, whatever four points they are given: invalid
// input must come back as an error instead.
func FuzzFit(f *testing.F) {
	f.Add(1.0, 100.0, 2.0, 190.0, 4.0, 300.0, 8.0, 280.0)
	f.Add(1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0)
	f.Add(1.0, 1e-300, 1e9, 1e100, 2.0, 5e-324, 3.0, 1.7e308)
	f.Add(1.0, 1e-300, 1e9, 1e100, 2.0, 5e-324, 3.0, 1e100)
	f.Add(1.0, 5.0, 1.0000001, 5e6, 1e9, 1e-9, 50.0, 3.0)
	f.Add(0.0, 1.0, 2.0, 3.0, math.NaN(), 4.0, 5.0, -1.0)
	f.Fuzz(func(t *testing.T, n1, x1, n2, x2, n3, x3, n4, x4 float64) {
		pts := []Point{{n1, x1}, {n2, x2}, {n3, x3}, {n4, x4}}
		if u, err := FitUSL(pts); err == nil {
			checkFinite(t, "USL", []float64{u.Lambda, u.Sigma, u.Kappa, u.R2, u.PeakN, u.PeakX}, u.Residuals)
			if u.Sigma < 0 || u.Sigma > 1 || u.Kappa < 0 || u.Lambda < 0 {
				t.Errorf("USL out of bounds: %+v", u)
			}
		}
		if a, err := FitAmdahl(pts); err == nil {
			checkFinite(t, "Amdahl", []float64{a.Lambda, a.Sigma, a.R2, a.Ceiling}, a.Residuals)
			if a.Sigma < 0 || a.Sigma > 1 || a.Lambda < 0 {
				t.Errorf("Amdahl out of bounds: %+v", a)
			}
		}
	})
}

func checkFinite(t *testing.T, model string, vs []float64, rs []Residual) {
	t.Helper()
	for _, r := range rs {
		vs = append(vs, r.Predicted, r.Residual)
	}
	for i, v := range vs {
		if !finite(v) {
			t.Fatalf("%s: value %d is %v (all: %v)", model, i, v, vs)
		}
	}
}

// TestFitRandomValidPoints runs the fuzz property over seeded random points
// that are all valid, which blind fuzzing rarely produces, including the
// extremes of the accepted range.
func TestFitRandomValidPoints(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for i := range 500 {
		pts := make([]Point, 3+r.IntN(6))
		for j := range pts {
			pts[j] = Point{N: 1 + math.Pow(10, 9*r.Float64()) - 1, X: math.Pow(10, -100+200*r.Float64())}
		}
		if i%5 == 0 {
			pts[0].N, pts[0].X = MaxN, MaxX
		}
		u, err := FitUSL(pts)
		if err != nil {
			if !errors.Is(err, ErrTooFewPoints) {
				t.Fatalf("points %v: %v", pts, err)
			}
			continue
		}
		checkFinite(t, "USL", []float64{u.Lambda, u.Sigma, u.Kappa, u.R2, u.PeakN, u.PeakX}, u.Residuals)
		a, err := FitAmdahl(pts)
		if err != nil {
			t.Fatal(err)
		}
		checkFinite(t, "Amdahl", []float64{a.Lambda, a.Sigma, a.R2, a.Ceiling}, a.Residuals)
	}
}
