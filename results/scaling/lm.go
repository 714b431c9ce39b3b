package scaling

import "math"

// boxLSQ is a bounded nonlinear least-squares problem: minimise ‖r(p)‖²
// subject to lo ≤ p ≤ hi, elementwise.
type boxLSQ struct {
	m, k   int // residuals, parameters
	lo, hi []float64
	// eval fills r (length m) and, when jac is not nil, the Jacobian
	// ∂r_i/∂p_j in row-major order (m×k).
	eval func(p, r, jac []float64)
}

// Solver limits. The problems here have at most three parameters and a few
// dozen residuals, so generous limits cost nothing.
const (
	lmMaxIter  = 500
	lmMaxMu    = 1e20
	lmRelTol   = 1e-15 // stop once an accepted step improves the sum by less than this fraction
	lmSmallTol = 1e-30 // absolute floor on the sum of squares, for exact fits
)

// solve runs a projected Levenberg–Marquardt iteration from p0 and returns
// the best point found and its sum of squared residuals. Parameters sitting
// on a bound whose gradient points outward are held fixed for the step (a
// simple active set); every trial point is clipped into the box, and a
// trial is only accepted when it lowers the sum, so the result is never
// worse than the (clipped) start.
func (q boxLSQ) solve(p0 []float64) ([]float64, float64) {
	p := make([]float64, q.k)
	copy(p, p0)
	q.clip(p)
	r := make([]float64, q.m)
	jac := make([]float64, q.m*q.k)
	q.eval(p, r, jac)
	sse := sumSquares(r)
	if !finite(sse) {
		return p, sse
	}

	g := make([]float64, q.k)
	h := make([]float64, q.k*q.k)
	trial := make([]float64, q.k)
	rt := make([]float64, q.m)
	free := make([]int, 0, q.k)
	a := make([]float64, q.k*q.k)
	b := make([]float64, q.k)
	mu := 1e-3

	for range lmMaxIter {
		if sse <= lmSmallTol {
			break
		}
		normalEquations(jac, r, q.m, q.k, h, g)
		free = free[:0]
		for j := range q.k {
			atLo := p[j] <= q.lo[j] && g[j] > 0
			atHi := p[j] >= q.hi[j] && g[j] < 0
			if !atLo && !atHi {
				free = append(free, j)
			}
		}
		if len(free) == 0 {
			break
		}
		maxDiag := 0.0
		for _, j := range free {
			maxDiag = math.Max(maxDiag, h[j*q.k+j])
		}
		floor := 1e-12*maxDiag + 1e-300

		accepted := false
		var newSSE float64
		for mu < lmMaxMu {
			f := len(free)
			for ii, i := range free {
				for jj, j := range free {
					a[ii*f+jj] = h[i*q.k+j]
				}
				a[ii*f+ii] += mu * math.Max(h[i*q.k+i], floor)
				b[ii] = -g[i]
			}
			copy(trial, p)
			if solveLinear(a[:f*f], b[:f], f) {
				for ii, j := range free {
					trial[j] += b[ii]
				}
				q.clip(trial)
				q.eval(trial, rt, nil)
				newSSE = sumSquares(rt)
				if finite(newSSE) && newSSE < sse {
					accepted = true
					break
				}
			}
			mu *= 4
		}
		if !accepted {
			break
		}
		improvement := sse - newSSE
		copy(p, trial)
		sse = newSSE
		mu = math.Max(mu/3, 1e-12)
		q.eval(p, r, jac)
		if improvement <= lmRelTol*sse {
			break
		}
	}
	return p, sse
}

func (q boxLSQ) clip(p []float64) {
	for j := range p {
		p[j] = math.Min(math.Max(p[j], q.lo[j]), q.hi[j])
	}
}

// normalEquations sets h = JᵀJ and g = Jᵀr.
func normalEquations(jac, r []float64, m, k int, h, g []float64) {
	clear(h)
	clear(g)
	for i := range m {
		row := jac[i*k : i*k+k]
		for a := range k {
			g[a] += row[a] * r[i]
			for b := range k {
				h[a*k+b] += row[a] * row[b]
			}
		}
	}
}

// solveLinear solves the n×n system a·x = b in place by Gaussian
// elimination with partial pivoting, leaving x in b. It reports false when
// the matrix is singular to working precision or the result is not finite.
func solveLinear(a, b []float64, n int) bool {
	for col := range n {
		piv := col
		for row := col + 1; row < n; row++ {
			if math.Abs(a[row*n+col]) > math.Abs(a[piv*n+col]) {
				piv = row
			}
		}
		if a[piv*n+col] == 0 {
			return false
		}
		if piv != col {
			for j := range n {
				a[col*n+j], a[piv*n+j] = a[piv*n+j], a[col*n+j]
			}
			b[col], b[piv] = b[piv], b[col]
		}
		for row := col + 1; row < n; row++ {
			f := a[row*n+col] / a[col*n+col]
			for j := col; j < n; j++ {
				a[row*n+j] -= f * a[col*n+j]
			}
			b[row] -= f * b[col]
		}
	}
	for row := n - 1; row >= 0; row-- {
		s := b[row]
		for j := row + 1; j < n; j++ {
			s -= a[row*n+j] * b[j]
		}
		b[row] = s / a[row*n+row]
		if !finite(b[row]) {
			return false
		}
	}
	return true
}

func sumSquares(r []float64) float64 {
	s := 0.0
	for _, v := range r {
		s += v * v
	}
	return s
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
