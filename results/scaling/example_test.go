package scaling_test

import (
	"fmt"

	"github.com/loadgen/loadgen/results/scaling"
)

// A workers sweep whose throughput stops growing after four workers and then
// falls: Amdahl's law cannot fall, so it fits poorly, while the USL finds
// the peak.
func ExampleAnalyze() {
	sweep := []scaling.Point{
		{N: 1, X: 1010}, {N: 2, X: 1790}, {N: 4, X: 2650},
		{N: 8, X: 2890}, {N: 16, X: 2370}, {N: 32, X: 1480},
	}
	a, err := scaling.Analyze(sweep)
	if err != nil {
		fmt.Println(err)
		return
	}
	u := a.USL
	fmt.Printf("USL: λ=%.0f σ=%.3f κ=%.4f R²=%.3f\n", u.Lambda, u.Sigma, u.Kappa, u.R2)
	fmt.Printf("peak: N*=%.1f X=%.0f req/s\n", u.PeakN, u.PeakX)
	fmt.Printf("Amdahl: σ=%.3f R²=%.2f\n", a.Amdahl.Sigma, a.Amdahl.R2)
	for _, w := range a.Warnings {
		fmt.Println("warning:", w.Code)
	}
	for _, w := range scaling.GeneratorSaturation([]scaling.StepCPU{{Label: "workers=32", N: 32, CPU: 0.96}}, 0) {
		fmt.Println(w)
	}
	// Output:
	// USL: λ=1031 σ=0.120 κ=0.0176 R²=0.999
	// peak: N*=7.1 X=2936 req/s
	// Amdahl: σ=0.589 R²=0.34
	// warning: poor_fit
	// generator CPU at 96% of its cores at workers=32 (threshold 90%): the generator, not the target, may be the bottleneck at this step
}
