package scaling

import (
	"errors"
	"fmt"
)

// Analysis is both models fitted to one sweep.
type Analysis struct {
	Points []Point `json:"points"`
	// Baseline is X(1) for the linear ideal X(1)·N: the mean throughput
	// measured at N = 1 when the sweep has that step, and otherwise the
	// USL's fitted λ (Amdahl's when the USL was skipped).
	Baseline float64    `json:"baseline"`
	Amdahl   *AmdahlFit `json:"amdahl,omitempty"`
	// USL is nil when the sweep has fewer than three distinct steps.
	USL *USLFit `json:"usl,omitempty"`
	// Warnings gathers the fits' warnings, and notes a skipped USL.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Analyze fits both models to points. It fails only when Amdahl's law
// cannot be fitted (invalid points, or fewer than two distinct steps); with
// exactly two steps it fits Amdahl alone and says so in a warning.
func Analyze(points []Point) (Analysis, error) {
	a := Analysis{Points: append([]Point(nil), points...)}
	am, err := FitAmdahl(points)
	if err != nil {
		return Analysis{}, err
	}
	a.Amdahl = &am
	a.Warnings = append(a.Warnings, am.Warnings...)
	a.Baseline = am.Lambda
	usl, err := FitUSL(points)
	switch {
	case errors.Is(err, ErrTooFewPoints):
		a.Warnings = append(a.Warnings, Warning{Code: Skipped, Message: fmt.Sprintf("%v; the USL was not fitted", err)})
	case err != nil:
		return Analysis{}, err // unreachable: FitAmdahl validated the points
	default:
		a.USL = &usl
		a.Warnings = append(a.Warnings, usl.Warnings...)
		a.Baseline = usl.Lambda
	}
	var sum float64
	var cnt int
	for _, p := range points {
		if p.N == 1 {
			sum += p.X
			cnt++
		}
	}
	if cnt > 0 {
		a.Baseline = sum / float64(cnt)
	}
	return a, nil
}
