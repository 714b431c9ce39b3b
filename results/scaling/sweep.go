package scaling

import "encoding/json"

// Sweep is a scaling sweep: one measured step per value of a dimension
// (workers, users, rate or the album service's store), and the fits of
// the throughputs. It is what loadgen scale writes with --json.
type Sweep struct {
	Version   int          `json:"version"`
	Dimension string       `json:"dimension"`
	Warmup    string       `json:"warmup"`
	Step      string       `json:"step"`
	Seed      uint64       `json:"seed"`
	Steps     []*SweepStep `json:"steps"`
	Analysis  *Analysis    `json:"analysis,omitempty"`
	Warnings  []Warning    `json:"warnings,omitempty"`
	Charts    []string     `json:"charts,omitempty"`
}

// SweepStep is one step of a sweep, measured over its steady window.
type SweepStep struct {
	Label string `json:"label"`
	Value string `json:"value"`
	// N is the value as a number; zero for a categorical dimension.
	N        float64 `json:"n,omitempty"`
	RPS      float64 `json:"rps"`
	Requests int64   `json:"requests"`
	Failures int64   `json:"failures"`
	P50Ms    float64 `json:"p50_ms"`
	P95Ms    float64 `json:"p95_ms"`
	P99Ms    float64 `json:"p99_ms"`
	// GenCPU is the generator's busy fraction of this machine's cores;
	// ServerCPU the embedded service's, when ServerKnown.
	GenCPU      float64 `json:"generator_cpu"`
	ServerCPU   float64 `json:"server_cpu,omitempty"`
	ExitCode    int     `json:"exit_code"`
	ServerKnown bool    `json:"server_cpu_known"`
	// Report is the step's whole JSON result.
	Report json.RawMessage `json:"report"`
}

// Categorical reports whether the sweep's values are names, compared side
// by side without a fit.
func (s *Sweep) Categorical() bool { return s.Dimension == "store" }

// Fit fits Amdahl's law and the USL to the steps' throughputs, and warns
// where the generator rather than the target was the bottleneck. A
// categorical sweep has no fit.
func (s *Sweep) Fit() {
	if s.Categorical() {
		return
	}
	var pts []Point
	var cpu []StepCPU
	for _, st := range s.Steps {
		pts = append(pts, Point{N: st.N, X: st.RPS})
		cpu = append(cpu, StepCPU{Label: st.Label, N: st.N, CPU: st.GenCPU})
	}
	if a, err := Analyze(pts); err == nil {
		s.Analysis = &a
		s.Warnings = append(s.Warnings, a.Warnings...)
	} else {
		s.Warnings = append(s.Warnings, Warning{Code: Skipped, Message: "no fit: " + err.Error()})
	}
	s.Warnings = append(s.Warnings, GeneratorSaturation(cpu, 0)...)
}
