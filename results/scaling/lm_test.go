package scaling

import (
	"math"
	"testing"
)

// expDecay is y = a·exp(−b·t) sampled without noise, as a problem in (a, b)
// with the given bounds on b.
func expDecay(a, b, bLo, bHi float64) boxLSQ {
	ts := []float64{0, 0.5, 1, 2, 3, 5}
	ys := make([]float64, len(ts))
	for i, t := range ts {
		ys[i] = a * math.Exp(-b*t)
	}
	return boxLSQ{m: len(ts), k: 2, lo: []float64{-100, bLo}, hi: []float64{100, bHi}, eval: func(p, r, jac []float64) {
		for i, t := range ts {
			e := math.Exp(-p[1] * t)
			r[i] = p[0]*e - ys[i]
			if jac != nil {
				jac[2*i] = e
				jac[2*i+1] = -p[0] * t * e
			}
		}
	}}
}

func TestBoxLSQ(t *testing.T) {
	t.Run("interior minimum", func(t *testing.T) {
		p, sse := expDecay(3, 0.7, 0, 10).solve([]float64{1, 3})
		if !near(p[0], 3, 1e-9, 0) || !near(p[1], 0.7, 1e-9, 0) || sse > 1e-20 {
			t.Errorf("p = %v, sse = %g, want [3 0.7] and 0", p, sse)
		}
	})
	t.Run("minimum on a bound", func(t *testing.T) {
		// The true b = 0.7 lies outside [0, 0.5], so the constrained
		// optimum has b on its upper bound and a solving the 1-D problem.
		q := expDecay(3, 0.7, 0, 0.5)
		p, sse := q.solve([]float64{1, 0.1})
		if p[1] != 0.5 {
			t.Fatalf("b = %g, want the bound 0.5", p[1])
		}
		r := make([]float64, q.m)
		jac := make([]float64, q.m*q.k)
		q.eval(p, r, jac)
		var ga, gb float64
		for i := range r {
			ga += jac[2*i] * r[i]
			gb += jac[2*i+1] * r[i]
		}
		if math.Abs(ga) > 1e-9 || gb >= 0 {
			t.Errorf("gradient (%g, %g): want 0 in a and pushing b outward (negative)", ga, gb)
		}
		if sse <= 0 {
			t.Errorf("sse = %g, want positive off the true curve", sse)
		}
	})
	t.Run("start outside the box is clipped", func(t *testing.T) {
		p, _ := expDecay(3, 0.7, 0, 10).solve([]float64{500, -4})
		if !near(p[0], 3, 1e-8, 0) || !near(p[1], 0.7, 1e-8, 0) {
			t.Errorf("p = %v, want [3 0.7]", p)
		}
	})
}

func TestSolveLinear(t *testing.T) {
	a := []float64{0, 2, 1, 1, 1, 1, 2, 0, 3} // needs a pivot: a[0][0] = 0
	want := []float64{1, 1, 3}
	// b is built from want so the test states the solution, not arithmetic.
	b := make([]float64, 3)
	for i := range 3 {
		for j := range 3 {
			b[i] += a[i*3+j] * want[j]
		}
	}
	if !solveLinear(a, b, 3) {
		t.Fatal("reported singular")
	}
	for i := range want {
		if !near(b[i], want[i], 1e-12, 0) {
			t.Errorf("x = %v, want %v", b, want)
			break
		}
	}
	if solveLinear([]float64{1, 2, 2, 4}, []float64{1, 2}, 2) {
		t.Error("singular matrix reported solved")
	}
}
