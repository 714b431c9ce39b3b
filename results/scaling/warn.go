package scaling

import "fmt"

// Code classifies a Warning so that programs can act on it without
// parsing the message.
type Code string

// Warning codes.
const (
	// PoorFit: the model explains less of the variation in X than MinR2.
	PoorFit Code = "poor_fit"
	// FewPoints: no more distinct steps than the model has parameters, so
	// the curve passes through every point whatever the truth; R² says
	// nothing.
	FewPoints Code = "few_points"
	// Skipped: a model was not fitted, for want of distinct steps.
	Skipped Code = "skipped"
	// GeneratorSaturated: at this step the load generator's CPU was near
	// its limit, so the measured X may be the generator's ceiling rather
	// than the target's.
	GeneratorSaturated Code = "generator_saturated"
)

// Thresholds for warnings.
const (
	// MinR2 is the R² below which a fit is called poor. Scaling curves from
	// steady-state windows usually fit at 0.95 or better; below 0.9
	// the shape is not one the model describes (or the steps were too noisy)
	// and its σ, κ and peak should not be quoted.
	MinR2 = 0.9
	// DefaultSaturation is the fraction of the generator's available CPU
	// above which a step is flagged, as Locust warns at 90 %.
	DefaultSaturation = 0.9
)

// Warning is something a reader should know before trusting a result.
type Warning struct {
	Code Code `json:"code"`
	// Label names the step a step warning is about, such as "workers=8";
	// empty for warnings about a whole fit.
	Label   string `json:"label,omitempty"`
	Message string `json:"message"`
}

// String returns the message, which stands on its own.
func (w Warning) String() string { return w.Message }

func fitWarnings(model string, r2 float64, distinct, params int) []Warning {
	var ws []Warning
	if distinct <= params {
		ws = append(ws, Warning{Code: FewPoints, Message: fmt.Sprintf(
			"%s fit: %d distinct steps for %d parameters; the curve fits any %d points, so measure at least %d steps before trusting it",
			model, distinct, params, params, params+1)})
	}
	if r2 < MinR2 {
		ws = append(ws, Warning{Code: PoorFit, Message: fmt.Sprintf(
			"%s fit is poor: R² = %.3f, below %.2f; the steps do not follow the model (or are too noisy), so its coefficients are not meaningful",
			model, r2, MinR2)})
	}
	return ws
}

// StepCPU is the load generator's CPU use during one step.
type StepCPU struct {
	// Label names the step for messages, such as "workers=8"; when empty,
	// "N=<N>" is used.
	Label string  `json:"label,omitempty"`
	N     float64 `json:"n"`
	// CPU is the busy fraction of the generator's available cores over
	// the step's measured window, 0 to 1 (1 = every core busy). For a
	// distributed run, pass the busiest worker's value.
	CPU float64 `json:"cpu"`
}

// GeneratorSaturation returns a GeneratorSaturated warning for each step
// whose CPU is above threshold (DefaultSaturation when threshold ≤ 0). A
// saturated generator cannot produce more load, so the throughput at that
// step and beyond says more about the generator than the target.
func GeneratorSaturation(steps []StepCPU, threshold float64) []Warning {
	if threshold <= 0 {
		threshold = DefaultSaturation
	}
	var ws []Warning
	for _, s := range steps {
		if !(s.CPU > threshold) { // also skips NaN
			continue
		}
		label := s.Label
		if label == "" {
			label = fmt.Sprintf("N=%g", s.N)
		}
		ws = append(ws, Warning{Code: GeneratorSaturated, Label: label, Message: fmt.Sprintf(
			"generator CPU at %.0f%% of its cores at %s (threshold %.0f%%): the generator, not the target, may be the bottleneck at this step",
			100*s.CPU, label, 100*threshold)})
	}
	return ws
}
