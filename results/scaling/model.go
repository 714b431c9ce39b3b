package scaling

import (
	"fmt"
	"math"
)

// Point is one measured step: throughput X at concurrency N.
type Point struct {
	// N is the size of the step: workers, users or a rate. It must be at
	// least 1, because both models count units of concurrency from one.
	N float64 `json:"n"`
	// X is the measured throughput, in any unit (requests per second,
	// typically); fitted λ comes out in the same unit.
	X float64 `json:"x"`
}

// Bounds on the input, far beyond any real sweep, so that N(N−1), the
// products the fits form and the predictions they return stay finite.
const (
	MaxN = 1e9
	MaxX = 1e100
)

// uslX evaluates the USL; Amdahl's law is the case κ = 0.
func uslX(n, lambda, sigma, kappa float64) float64 {
	// n/den first: λ·n could overflow where the quotient does not.
	return lambda * (n / (1 + sigma*(n-1) + kappa*n*(n-1)))
}

// validate checks that every point lies in the models' domain and that
// there are at least minDistinct distinct values of N; it returns that
// count. model names the fit in errors.
func validate(points []Point, minDistinct int, model string) (int, error) {
	for i, p := range points {
		switch {
		case math.IsNaN(p.N) || math.IsInf(p.N, 0):
			return 0, fmt.Errorf("%s fit: point %d: N is %v, want a finite number", model, i, p.N)
		case p.N < 1:
			return 0, fmt.Errorf("%s fit: point %d: N = %g, want N ≥ 1 (the models count units of concurrency from one)", model, i, p.N)
		case p.N > MaxN:
			return 0, fmt.Errorf("%s fit: point %d: N = %g exceeds the supported maximum %g", model, i, p.N, float64(MaxN))
		case math.IsNaN(p.X) || math.IsInf(p.X, 0):
			return 0, fmt.Errorf("%s fit: point %d (N=%g): throughput is %v, want a finite number", model, i, p.N, p.X)
		case p.X <= 0:
			return 0, fmt.Errorf("%s fit: point %d (N=%g): throughput %g, want a positive value", model, i, p.N, p.X)
		case p.X > MaxX:
			return 0, fmt.Errorf("%s fit: point %d (N=%g): throughput %g exceeds the supported maximum %g", model, i, p.N, p.X, float64(MaxX))
		}
	}
	d := distinctN(points)
	if d < minDistinct {
		return d, fmt.Errorf("%s fit: %d distinct values of N in %d points, need at least %d: %w", model, d, len(points), minDistinct, ErrTooFewPoints)
	}
	return d, nil
}

func distinctN(points []Point) int {
	seen := make(map[float64]struct{}, len(points))
	for _, p := range points {
		seen[p.N] = struct{}{}
	}
	return len(seen)
}

// Residual is one point's measured and fitted throughput.
type Residual struct {
	N         float64 `json:"n"`
	X         float64 `json:"x"`
	Predicted float64 `json:"predicted"`
	// Residual is X − Predicted: positive where the step did better than
	// the model.
	Residual float64 `json:"residual"`
}
