package scaling

import (
	"errors"
	"math"
	"sort"
)

// ErrTooFewPoints is wrapped by the fit errors when there are fewer distinct
// values of N than the model needs.
var ErrTooFewPoints = errors.New("too few distinct steps to fit")

// AmdahlFit is Amdahl's law fitted to measured points.
type AmdahlFit struct {
	// Lambda is the fitted throughput of one unit, X(1). It is fitted
	// rather than copied from the N=1 step so that noise in that one step
	// does not tilt the whole curve.
	Lambda float64 `json:"lambda"`
	// Sigma is the serial fraction, 0 ≤ σ ≤ 1.
	Sigma float64 `json:"sigma"`
	// R2 is the coefficient of determination of the fit on X.
	R2 float64 `json:"r2"`
	// Ceiling is λ/σ, the throughput the law approaches as N grows; it is
	// 0 when σ = 0, where the law sets no ceiling.
	Ceiling   float64    `json:"ceiling,omitempty"`
	Residuals []Residual `json:"residuals"`
	Warnings  []Warning  `json:"warnings,omitempty"`
}

// Predict returns the throughput the fitted law gives at n.
func (f AmdahlFit) Predict(n float64) float64 { return uslX(n, f.Lambda, f.Sigma, 0) }

// USLFit is the Universal Scalability Law fitted to measured points.
type USLFit struct {
	// Lambda is the fitted throughput of one unit, X(1).
	Lambda float64 `json:"lambda"`
	// Sigma is the contention coefficient, 0 ≤ σ ≤ 1.
	Sigma float64 `json:"sigma"`
	// Kappa is the coherency coefficient, κ ≥ 0.
	Kappa float64 `json:"kappa"`
	// R2 is the coefficient of determination of the fit on X.
	R2 float64 `json:"r2"`
	// HasPeak is true when κ > 0, so that throughput has a maximum. With
	// κ = 0 the curve rises for ever towards λ/σ and PeakN and PeakX are 0.
	HasPeak bool `json:"has_peak"`
	// PeakN is N* = sqrt((1−σ)/κ), or 1 when that falls below one (the
	// curve falls from the first step); it is real-valued, so round it to a
	// step size the reader can use.
	PeakN float64 `json:"peak_n,omitempty"`
	// PeakX is the predicted throughput at PeakN.
	PeakX     float64    `json:"peak_x,omitempty"`
	Residuals []Residual `json:"residuals"`
	Warnings  []Warning  `json:"warnings,omitempty"`
}

// Predict returns the throughput the fitted law gives at n.
func (f USLFit) Predict(n float64) float64 { return uslX(n, f.Lambda, f.Sigma, f.Kappa) }

// FitAmdahl fits Amdahl's law to points by least squares on X, with λ and
// σ free and 0 ≤ σ ≤ 1. It needs at least two distinct values of N; points
// may repeat an N. Every N must be in [1, MaxN] and every X in (0, MaxX].
func FitAmdahl(points []Point) (AmdahlFit, error) {
	distinct, err := validate(points, 2, "Amdahl")
	if err != nil {
		return AmdahlFit{}, err
	}
	d := newData(points)
	p := d.fit(false)
	f := AmdahlFit{Lambda: p[0] * d.scale, Sigma: p[1]}
	if f.Sigma > 0 {
		f.Ceiling = f.Lambda / f.Sigma
	}
	f.R2, f.Residuals = d.quality(f.Predict)
	f.Warnings = fitWarnings("Amdahl", f.R2, distinct, 2)
	return f, nil
}

// FitUSL fits the Universal Scalability Law to points by least squares on
// X, with λ, σ and κ free, 0 ≤ σ ≤ 1 and κ ≥ 0. It needs at least three
// distinct values of N; points may repeat an N. Every N must be in
// [1, MaxN] and every X in (0, MaxX].
func FitUSL(points []Point) (USLFit, error) {
	distinct, err := validate(points, 3, "USL")
	if err != nil {
		return USLFit{}, err
	}
	d := newData(points)
	p := d.fit(true)
	f := USLFit{Lambda: p[0] * d.scale, Sigma: p[1], Kappa: p[2]}
	if f.Kappa > 0 {
		f.HasPeak = true
		f.PeakN = math.Max(1, math.Sqrt((1-f.Sigma)/f.Kappa))
		f.PeakX = f.Predict(f.PeakN)
	}
	f.R2, f.Residuals = d.quality(f.Predict)
	f.Warnings = fitWarnings("USL", f.R2, distinct, 3)
	return f, nil
}

// data holds validated points with X divided by its maximum, so that the
// solver works on numbers near one whatever the unit; λ comes back in
// units of scale and σ, κ are unaffected.
type data struct {
	n, x  []float64 // as measured
	y     []float64 // x / scale
	scale float64
	nMin  float64
	nMax  float64
}

func newData(points []Point) data {
	d := data{
		n:    make([]float64, len(points)),
		x:    make([]float64, len(points)),
		y:    make([]float64, len(points)),
		nMin: math.Inf(1),
	}
	for _, p := range points {
		d.scale = math.Max(d.scale, p.X)
		d.nMin = math.Min(d.nMin, p.N)
		d.nMax = math.Max(d.nMax, p.N)
	}
	for i, p := range points {
		d.n[i] = p.N
		d.x[i] = p.X
		d.y[i] = p.X / d.scale
	}
	return d
}

// problem returns the least-squares problem over (λ, σ) for Amdahl or
// (λ, σ, κ) for the USL, in scaled units.
func (d data) problem(usl bool) boxLSQ {
	k := 2
	lo, hi := []float64{0, 0}, []float64{math.Inf(1), 1}
	if usl {
		k = 3
		lo, hi = append(lo, 0), append(hi, math.Inf(1))
	}
	return boxLSQ{m: len(d.n), k: k, lo: lo, hi: hi, eval: func(p, r, jac []float64) {
		lambda, sigma, kappa := p[0], p[1], 0.0
		if usl {
			kappa = p[2]
		}
		for i, n := range d.n {
			den := 1 + sigma*(n-1) + kappa*n*(n-1)
			pred := lambda * (n / den)
			r[i] = pred - d.y[i]
			if jac == nil {
				continue
			}
			row := jac[i*k : i*k+k]
			row[0] = n / den
			row[1] = -pred * (n - 1) / den
			if usl {
				row[2] = -pred * n * (n - 1) / den
			}
		}
	}}
}

// fit returns the best parameters found from several starting points: the
// linearised regression and the best few nodes of a coarse grid. The
// surface is smooth but can be flat along a ridge between σ and κ, so more
// than one start guards against stopping on the wrong side of it.
func (d data) fit(usl bool) []float64 {
	q := d.problem(usl)
	seeds := d.gridSeeds(usl, 3)
	seeds = append(seeds, d.linearSeed(usl))
	var best []float64
	bestSSE := math.Inf(1)
	for _, s := range seeds {
		p, sse := q.solve(s)
		if finite(sse) && sse < bestSSE {
			best, bestSSE = p, sse
		}
	}
	if best == nil {
		// Unreachable for validated input: the grid's starts are finite.
		best = seeds[0]
	}
	if usl && best[2] > 0 {
		// The solver can stop a hair above κ = 0 when the optimum is on
		// that bound, and a κ of 1e-18 would announce a peak at N = 1e9.
		// When κ = 0 fits as well to nine digits, prefer it: the data
		// cannot tell the two apart, and the simpler curve has no peak.
		a := d.fit(false)
		flat := []float64{a[0], a[1], 0}
		r := make([]float64, q.m)
		q.eval(flat, r, nil)
		if sse := sumSquares(r); sse <= bestSSE*(1+1e-9)+lmSmallTol {
			best = flat
		}
	}
	return best
}

// bestLambda returns the λ that minimises the squared error for fixed σ and
// κ: the model is linear in λ.
func (d data) bestLambda(sigma, kappa float64) (lambda, sse float64) {
	var gy, gg float64
	for i, n := range d.n {
		g := uslX(n, 1, sigma, kappa)
		gy += g * d.y[i]
		gg += g * g
	}
	lambda = gy / gg
	for i, n := range d.n {
		e := lambda*uslX(n, 1, sigma, kappa) - d.y[i]
		sse += e * e
	}
	return lambda, sse
}

// gridSeeds evaluates a coarse grid of σ and κ, with λ solved exactly at
// each node, and returns the best count nodes as starting points. κ is
// placed so that the peak N* lands at multiples of the largest N measured.
func (d data) gridSeeds(usl bool, count int) [][]float64 {
	sigmas := []float64{0, 0.01, 0.05, 0.15, 0.4, 0.8, 1}
	kappas := []float64{0}
	if usl {
		for _, m := range []float64{0.25, 0.5, 1, 2, 4, 16} {
			peak := m * d.nMax
			kappas = append(kappas, 1/(peak*peak))
		}
	}
	type node struct {
		p   []float64
		sse float64
	}
	nodes := make([]node, 0, len(sigmas)*len(kappas))
	for _, s := range sigmas {
		for _, k := range kappas {
			l, sse := d.bestLambda(s, k)
			p := []float64{l, s}
			if usl {
				p = append(p, k)
			}
			nodes = append(nodes, node{p, sse})
		}
	}
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].sse < nodes[j].sse })
	seeds := make([][]float64, 0, count)
	for _, n := range nodes[:min(count, len(nodes))] {
		seeds = append(seeds, n.p)
	}
	return seeds
}

// linearSeed is Gunther's linearisation: with λ taken as known, the
// deviation from linear scaling C(N) = λN/X(N) − 1 = σ(N−1) + κN(N−1) is
// a regression through the origin. λ comes from the N=1 steps when there
// are any, and otherwise from the smallest step as if it scaled linearly.
// It is biased when that estimate is noisy, hence only a seed.
func (d data) linearSeed(usl bool) []float64 {
	var sum float64
	var cnt int
	for i, n := range d.n {
		if n == d.nMin {
			sum += d.y[i]
			cnt++
		}
	}
	lambda := sum / float64(cnt) / d.nMin
	// Normal equations for C ≈ σ·a + κ·b with a = N−1, b = N(N−1).
	var aa, ab, bb, ac, bc float64
	for i, n := range d.n {
		c := lambda*n/d.y[i] - 1
		a, b := n-1, n*(n-1)
		aa += a * a
		ab += a * b
		bb += b * b
		ac += a * c
		bc += b * c
	}
	sigma, kappa := 0.0, 0.0
	if aa > 0 {
		sigma = ac / aa // Amdahl, or the κ = 0 fallback
	}
	if usl {
		if det := aa*bb - ab*ab; det > 1e-12*aa*bb {
			s, k := (ac*bb-bc*ab)/det, (aa*bc-ab*ac)/det
			switch {
			case s >= 0 && k >= 0:
				sigma, kappa = s, k
			case s < 0 && bb > 0:
				sigma, kappa = 0, math.Max(bc/bb, 0)
			}
		}
	}
	sigma = math.Min(math.Max(sigma, 0), 1)
	if !finite(lambda) || !finite(sigma) || !finite(kappa) {
		lambda, sigma, kappa = 1, 0, 0
	}
	p := []float64{lambda, sigma}
	if usl {
		p = append(p, kappa)
	}
	return p
}

// quality returns R² on X and the residuals, in the caller's units. R² is
// computed on the scaled values, where it is the same number and cannot
// overflow.
func (d data) quality(predict func(float64) float64) (float64, []Residual) {
	res := make([]Residual, len(d.n))
	var mean float64
	for _, y := range d.y {
		mean += y
	}
	mean /= float64(len(d.y))
	var ssRes, ssTot float64
	for i, n := range d.n {
		pred := predict(n)
		x := d.x[i]
		res[i] = Residual{N: n, X: x, Predicted: pred, Residual: x - pred}
		e := pred/d.scale - d.y[i]
		ssRes += e * e
		t := d.y[i] - mean
		ssTot += t * t
	}
	return rSquared(ssRes, ssTot), res
}

// rSquared is 1 − ssRes/ssTot, with the flat case (ssTot ≈ 0) scored by
// whether the model matched the flat data. It never returns NaN.
func rSquared(ssRes, ssTot float64) float64 {
	const tiny = 1e-24 // squared scaled units: values near 1 agreeing to 1e-12
	if ssTot <= tiny {
		if ssRes <= tiny {
			return 1
		}
		return 0
	}
	r2 := 1 - ssRes/ssTot
	if math.IsNaN(r2) {
		return 0
	}
	return r2
}
