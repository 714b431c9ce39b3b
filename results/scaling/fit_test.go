package scaling

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// curve samples the USL (Amdahl when kappa is 0) at ns.
func curve(ns []float64, lambda, sigma, kappa float64) []Point {
	pts := make([]Point, len(ns))
	for i, n := range ns {
		pts[i] = Point{N: n, X: uslX(n, lambda, sigma, kappa)}
	}
	return pts
}

// noisy multiplies each X by 1 + rel·z, z standard normal from a seeded
// generator, so failures reproduce.
func noisy(pts []Point, rel float64, seed uint64) []Point {
	r := rand.New(rand.NewPCG(seed, 0x5ca1e))
	out := make([]Point, len(pts))
	for i, p := range pts {
		out[i] = Point{N: p.N, X: p.X * (1 + rel*r.NormFloat64())}
	}
	return out
}

func near(got, want, abs, rel float64) bool {
	return math.Abs(got-want) <= abs+rel*math.Abs(want)
}

var (
	workers = []float64{1, 2, 4, 8, 16, 32, 64}
	users   = []float64{10, 25, 50, 100, 200, 400}
	rates   = []float64{1, 1.5, 2.5, 4, 6.5, 10}
)

func TestFitUSLRecoversExactParameters(t *testing.T) {
	tests := []struct {
		name                 string
		ns                   []float64
		lambda, sigma, kappa float64
	}{
		{"peak inside the range", workers, 1000, 0.05, 0.002},
		{"contention only", workers, 250, 0.1, 0},
		{"coherency only", workers, 40, 0, 0.0005},
		{"linear", workers, 10, 0, 0},
		{"users with a late peak", users, 95, 0.01, 3e-5},
		{"fractional rate steps", rates, 3.5, 0.2, 0.01},
		{"heavy contention", workers, 1e6, 0.9, 1e-4},
		{"repeated steps", []float64{1, 1, 4, 4, 16, 16, 32}, 500, 0.03, 0.001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := FitUSL(curve(tc.ns, tc.lambda, tc.sigma, tc.kappa))
			if err != nil {
				t.Fatal(err)
			}
			if !near(f.Lambda, tc.lambda, 0, 1e-6) || !near(f.Sigma, tc.sigma, 1e-7, 1e-5) || !near(f.Kappa, tc.kappa, 1e-9, 1e-5) {
				t.Errorf("fit λ=%g σ=%g κ=%g, want λ=%g σ=%g κ=%g", f.Lambda, f.Sigma, f.Kappa, tc.lambda, tc.sigma, tc.kappa)
			}
			if f.R2 < 1-1e-9 {
				t.Errorf("R² = %g for exact data, want 1", f.R2)
			}
			if len(f.Warnings) != 0 {
				t.Errorf("warnings on an exact fit: %v", f.Warnings)
			}
			if f.HasPeak != (tc.kappa > 0) {
				t.Fatalf("HasPeak = %v with κ = %g", f.HasPeak, tc.kappa)
			}
			if f.HasPeak {
				wantN := math.Max(1, math.Sqrt((1-tc.sigma)/tc.kappa))
				if !near(f.PeakN, wantN, 0, 1e-4) {
					t.Errorf("PeakN = %g, want %g", f.PeakN, wantN)
				}
				if want := uslX(wantN, tc.lambda, tc.sigma, tc.kappa); !near(f.PeakX, want, 0, 1e-6) {
					t.Errorf("PeakX = %g, want %g", f.PeakX, want)
				}
			}
			for _, r := range f.Residuals {
				if !near(r.Residual, 0, 1e-6*r.X, 0) || r.Residual != r.X-r.Predicted {
					t.Errorf("residual %+v", r)
				}
			}
		})
	}
}

func TestFitAmdahlRecoversExactParameters(t *testing.T) {
	tests := []struct {
		name          string
		ns            []float64
		lambda, sigma float64
	}{
		{"typical", workers, 1200, 0.08},
		{"linear", workers, 7, 0},
		{"all serial", workers, 300, 1},
		{"two steps", []float64{1, 4}, 100, 0.25},
		{"users", users, 80, 0.004},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := FitAmdahl(curve(tc.ns, tc.lambda, tc.sigma, 0))
			if err != nil {
				t.Fatal(err)
			}
			if !near(f.Lambda, tc.lambda, 0, 1e-7) || !near(f.Sigma, tc.sigma, 1e-8, 1e-6) {
				t.Errorf("fit λ=%g σ=%g, want λ=%g σ=%g", f.Lambda, f.Sigma, tc.lambda, tc.sigma)
			}
			if f.R2 < 1-1e-9 {
				t.Errorf("R² = %g, want 1", f.R2)
			}
			wantCeiling := 0.0
			if tc.sigma > 0 {
				wantCeiling = tc.lambda / tc.sigma
			}
			if !near(f.Ceiling, wantCeiling, 1e-6, 1e-5) {
				t.Errorf("Ceiling = %g, want %g", f.Ceiling, wantCeiling)
			}
		})
	}
}

// TestFitUSLWithNoise checks the fit across many seeded noisy copies of one
// curve: every fit lands in a loose band and the average error in a tight
// one, so a systematic bias fails the test even when single fits look fine.
func TestFitUSLWithNoise(t *testing.T) {
	const lambda, sigma, kappa = 1000.0, 0.05, 0.002
	exact := curve(workers, lambda, sigma, kappa)
	tests := []struct {
		rel                      float64
		meanSigma, meanKappa     float64 // bounds on mean |error| (σ absolute, κ relative)
		worstSigma, worstKappa   float64 // bounds on any single fit
		meanLambda, minR2Allowed float64
	}{
		{0.01, 0.004, 0.03, 0.015, 0.12, 0.02, 0.99},
		{0.05, 0.02, 0.15, 0.06, 0.6, 0.08, 0.85},
	}
	const runs = 100
	for _, tc := range tests {
		var sumS, sumK, sumL float64
		for seed := range uint64(runs) {
			f, err := FitUSL(noisy(exact, tc.rel, seed))
			if err != nil {
				t.Fatal(err)
			}
			es, ek, el := math.Abs(f.Sigma-sigma), math.Abs(f.Kappa-kappa)/kappa, math.Abs(f.Lambda-lambda)/lambda
			if es > tc.worstSigma || ek > tc.worstKappa || f.R2 < tc.minR2Allowed {
				t.Errorf("noise %g seed %d: σ=%g κ=%g R²=%g, too far from σ=%g κ=%g", tc.rel, seed, f.Sigma, f.Kappa, f.R2, sigma, kappa)
			}
			sumS, sumK, sumL = sumS+es, sumK+ek, sumL+el
		}
		t.Logf("noise %g over %d seeds: mean |σ error| %.4f, mean relative κ error %.4f, mean relative λ error %.4f", tc.rel, runs, sumS/runs, sumK/runs, sumL/runs)
		if m := sumS / runs; m > tc.meanSigma {
			t.Errorf("noise %g: mean |σ error| = %.4f, want ≤ %g", tc.rel, m, tc.meanSigma)
		}
		if m := sumK / runs; m > tc.meanKappa {
			t.Errorf("noise %g: mean relative κ error = %.4f, want ≤ %g", tc.rel, m, tc.meanKappa)
		}
		if m := sumL / runs; m > tc.meanLambda {
			t.Errorf("noise %g: mean relative λ error = %.4f, want ≤ %g", tc.rel, m, tc.meanLambda)
		}
	}
}

func TestFitAmdahlWithNoise(t *testing.T) {
	const lambda, sigma = 500.0, 0.1
	exact := curve(workers, lambda, sigma, 0)
	const runs = 100
	var sum float64
	for seed := range uint64(runs) {
		f, err := FitAmdahl(noisy(exact, 0.03, seed))
		if err != nil {
			t.Fatal(err)
		}
		if e := math.Abs(f.Sigma - sigma); e > 0.04 {
			t.Errorf("seed %d: σ = %g, want %g ± 0.04", seed, f.Sigma, sigma)
		}
		sum += math.Abs(f.Sigma - sigma)
	}
	t.Logf("noise 0.03 over %d seeds: mean |σ error| %.4f", runs, sum/runs)
	if m := sum / runs; m > 0.008 {
		t.Errorf("mean |σ error| = %.4f, want ≤ 0.008", m)
	}
}

// TestNoisyFirstStep shows why λ is fitted: an X(1) measured 15% high
// skews Gunther's linearisation, which divides every step by it, while the
// fit on X absorbs the one bad point.
func TestNoisyFirstStep(t *testing.T) {
	const lambda, sigma, kappa = 1000.0, 0.05, 0.002
	pts := curve(workers, lambda, sigma, kappa)
	pts[0].X *= 1.15
	f, err := FitUSL(pts)
	if err != nil {
		t.Fatal(err)
	}
	lin := newData(pts).linearSeed(true)
	fitErr := math.Abs(f.Kappa-kappa) / kappa
	linErr := math.Abs(lin[2]-kappa) / kappa
	t.Logf("X(1) 15%% high: relative κ error %.4f fitted, %.4f linearised", fitErr, linErr)
	if fitErr > 0.1 || fitErr >= linErr/2 {
		t.Errorf("relative κ error: fit %.3f, linearisation %.3f; want the fit within 10%% and at most half the linearisation's", fitErr, linErr)
	}
	if fitPeak, truePeak := f.PeakN, math.Sqrt((1-sigma)/kappa); !near(fitPeak, truePeak, 0, 0.05) {
		t.Errorf("peak N* = %.2f, want %.2f ± 5%%", fitPeak, truePeak)
	}
}

func TestFitShapes(t *testing.T) {
	t.Run("linear has no contention", func(t *testing.T) {
		pts := noisy(curve(workers, 100, 0, 0), 0.001, 1)
		u, err := FitUSL(pts)
		if err != nil {
			t.Fatal(err)
		}
		if u.Sigma > 0.002 || u.Kappa > 1e-4 || u.R2 < 0.999 {
			t.Errorf("USL σ=%g κ=%g R²=%g, want σ≈0, κ≈0, R²≈1", u.Sigma, u.Kappa, u.R2)
		}
		a, err := FitAmdahl(pts)
		if err != nil {
			t.Fatal(err)
		}
		if a.Sigma > 0.002 {
			t.Errorf("Amdahl σ = %g, want ≈ 0", a.Sigma)
		}
	})
	t.Run("flat is all serial", func(t *testing.T) {
		pts := curve(workers, 420, 1, 0)
		u, err := FitUSL(pts)
		if err != nil {
			t.Fatal(err)
		}
		if !near(u.Sigma, 1, 1e-6, 0) || u.Kappa > 1e-9 || !near(u.Lambda, 420, 0, 1e-9) || u.R2 != 1 {
			t.Errorf("USL λ=%g σ=%g κ=%g R²=%g, want λ=420 σ=1 κ=0 R²=1", u.Lambda, u.Sigma, u.Kappa, u.R2)
		}
		if u.HasPeak && u.PeakN != 1 {
			t.Errorf("flat curve: peak at N=%g", u.PeakN)
		}
	})
	t.Run("retrograde peaks inside the sweep", func(t *testing.T) {
		pts := []Point{{1, 100}, {2, 180}, {4, 260}, {8, 250}, {16, 160}}
		u, err := FitUSL(pts)
		if err != nil {
			t.Fatal(err)
		}
		if !u.HasPeak || u.PeakN < 4 || u.PeakN > 8 || u.PeakX < 250 || u.PeakX > 290 || u.R2 < 0.99 {
			t.Errorf("peak N*=%g X*=%g R²=%g, want a peak between N=4 and 8 near 260–290 and a good fit", u.PeakN, u.PeakX, u.R2)
		}
		a, err := FitAmdahl(pts)
		if err != nil {
			t.Fatal(err)
		}
		if !hasCode(a.Warnings, PoorFit) {
			t.Errorf("Amdahl cannot fall, yet R²=%g gave no poor-fit warning", a.R2)
		}
	})
}

// TestFitFindsGlobalMinimum compares the fit with a dense brute-force grid
// over σ and κ (λ solved exactly at every node): the solver must never end
// on a worse sum of squares than the grid's best node.
func TestFitFindsGlobalMinimum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := range 40 {
		lambda := math.Exp(r.Float64()*10 - 2)
		sigma := []float64{0, r.Float64() * 0.3, r.Float64()}[trial%3]
		kappa := []float64{0, math.Pow(10, -5+4*r.Float64())}[trial%2]
		ns := [][]float64{workers, users, rates, {1, 3, 5}}[trial%4]
		pts := noisy(curve(ns, lambda, sigma, kappa), 0.1*r.Float64(), uint64(trial))
		f, err := FitUSL(pts)
		if err != nil {
			t.Fatal(err)
		}
		d := newData(pts)
		fitSSE := 0.0
		for _, res := range f.Residuals {
			e := res.Residual / d.scale
			fitSSE += e * e
		}
		gridSSE := math.Inf(1)
		for i := 0; i <= 200; i++ {
			s := float64(i) / 200
			for j := -1; j <= 160; j++ {
				k := 0.0
				if j >= 0 {
					k = math.Pow(10, -8+float64(j)/20)
				}
				if _, sse := d.bestLambda(s, k); sse < gridSSE {
					gridSSE = sse
				}
			}
		}
		if fitSSE > gridSSE*(1+1e-9)+1e-15 {
			t.Errorf("trial %d: fit SSE %g worse than grid %g (σ=%g κ=%g)", trial, fitSSE, gridSSE, f.Sigma, f.Kappa)
		}
	}
}

func TestFitErrors(t *testing.T) {
	good := []Point{{1, 10}, {2, 19}, {4, 30}}
	tests := []struct {
		name   string
		fit    func([]Point) error
		points []Point
		want   string
		tooFew bool
	}{
		{"USL empty", uslErr, nil, "0 distinct values of N in 0 points, need at least 3", true},
		{"USL two steps", uslErr, good[:2], "2 distinct values", true},
		{"USL repeats do not count", uslErr, []Point{{1, 10}, {1, 11}, {4, 30}, {4, 31}}, "2 distinct values of N in 4 points", true},
		{"Amdahl one step", amdahlErr, []Point{{4, 10}, {4, 11}}, "need at least 2", true},
		{"zero throughput", uslErr, append([]Point{{8, 0}}, good...), "point 0 (N=8): throughput 0, want a positive value", false},
		{"negative throughput", amdahlErr, append(good, Point{8, -3}), "point 3 (N=8): throughput -3", false},
		{"N below one", uslErr, append(good, Point{0.5, 3}), "point 3: N = 0.5, want N ≥ 1", false},
		{"N zero", amdahlErr, []Point{{0, 1}, {1, 2}}, "point 0: N = 0", false},
		{"N NaN", uslErr, append(good, Point{math.NaN(), 3}), "N is NaN", false},
		{"X infinite", amdahlErr, append(good, Point{16, math.Inf(1)}), "throughput is +Inf", false},
		{"N huge", uslErr, append(good, Point{1e12, 3}), "N = 1e+12 exceeds the supported maximum", false},
		{"X huge", amdahlErr, append(good, Point{3, 1e101}), "throughput 1e+101 exceeds the supported maximum", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fit(tc.points)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
			if errors.Is(err, ErrTooFewPoints) != tc.tooFew {
				t.Errorf("errors.Is(err, ErrTooFewPoints) = %v, want %v", !tc.tooFew, tc.tooFew)
			}
		})
	}
}

func uslErr(p []Point) error    { _, err := FitUSL(p); return err }
func amdahlErr(p []Point) error { _, err := FitAmdahl(p); return err }

func hasCode(ws []Warning, c Code) bool {
	for _, w := range ws {
		if w.Code == c {
			return true
		}
	}
	return false
}

func TestFitWarnings(t *testing.T) {
	zigzag := []Point{{1, 100}, {2, 300}, {3, 90}, {4, 310}, {5, 95}}
	tests := []struct {
		name       string
		points     []Point
		amdahl     []Code
		usl        []Code
		uslSkipped bool
	}{
		{"clean sweep", curve(workers, 100, 0.05, 0.001), nil, nil, false},
		{"zigzag", zigzag, []Code{PoorFit}, []Code{PoorFit}, false},
		{"three steps", curve([]float64{1, 2, 4}, 100, 0.05, 0.01), nil, []Code{FewPoints}, false},
		{"two steps", curve([]float64{1, 4}, 100, 0.05, 0), []Code{FewPoints}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Analyze(tc.points)
			if err != nil {
				t.Fatal(err)
			}
			check := func(model string, got []Warning, want []Code) {
				if len(got) != len(want) {
					t.Errorf("%s warnings %v, want codes %v", model, got, want)
					return
				}
				for i, w := range got {
					if w.Code != want[i] || !strings.HasPrefix(w.Message, model+" fit") {
						t.Errorf("%s warning %d = %+v, want code %s and a message naming the fit", model, i, w, want[i])
					}
				}
			}
			check("Amdahl", a.Amdahl.Warnings, tc.amdahl)
			if tc.uslSkipped {
				if a.USL != nil || !hasCode(a.Warnings, Skipped) {
					t.Errorf("USL = %+v, warnings %v; want it skipped with a warning", a.USL, a.Warnings)
				}
			} else {
				check("USL", a.USL.Warnings, tc.usl)
			}
			n := len(tc.amdahl) + len(tc.usl)
			if tc.uslSkipped {
				n++
			}
			if len(a.Warnings) != n {
				t.Errorf("Analysis.Warnings = %v, want %d", a.Warnings, n)
			}
		})
	}
}

func TestAnalyzeBaseline(t *testing.T) {
	pts := []Point{{1, 98}, {1, 102}, {2, 190}, {4, 350}, {8, 560}}
	a, err := Analyze(pts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Baseline != 100 {
		t.Errorf("Baseline = %g, want the mean of the N=1 steps, 100", a.Baseline)
	}
	pts[0], pts[1] = Point{3, 280}, Point{16, 700}
	a, err = Analyze(pts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Baseline != a.USL.Lambda {
		t.Errorf("Baseline = %g without an N=1 step, want the USL's λ %g", a.Baseline, a.USL.Lambda)
	}
	pts[0].X = -1
	if _, err := Analyze(pts); err == nil {
		t.Error("Analyze accepted a negative throughput")
	}
	if _, err := Analyze([]Point{{2, 10}, {2, 11}}); !errors.Is(err, ErrTooFewPoints) {
		t.Errorf("Analyze of one point: %v, want ErrTooFewPoints", err)
	}
}

// TestAnalysisJSON pins that a result always encodes: encoding/json rejects
// infinities, which a peak-less USL or a σ = 0 ceiling would otherwise be.
func TestAnalysisJSON(t *testing.T) {
	for _, pts := range [][]Point{curve(workers, 100, 0, 0), curve(workers, 100, 0.2, 0), curve(workers, 100, 0.02, 0.001)} {
		a, err := Analyze(pts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back Analysis
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.USL == nil || back.USL.HasPeak != a.USL.HasPeak || back.USL.Kappa != a.USL.Kappa || len(back.Points) != len(pts) {
			t.Errorf("round trip lost data: %s", b)
		}
	}
}

func TestGeneratorSaturation(t *testing.T) {
	steps := []StepCPU{
		{Label: "workers=1", N: 1, CPU: 0.2},
		{Label: "workers=4", N: 4, CPU: 0.9},
		{N: 8, CPU: 0.97},
		{Label: "workers=16", N: 16, CPU: math.NaN()},
		{Label: "workers=32", N: 32, CPU: 1},
	}
	tests := []struct {
		threshold float64
		labels    []string
	}{
		{0, []string{"N=8", "workers=32"}}, // default 0.9: 0.9 itself is not above
		{0.85, []string{"workers=4", "N=8", "workers=32"}},
		{0.99, []string{"workers=32"}},
	}
	for _, tc := range tests {
		ws := GeneratorSaturation(steps, tc.threshold)
		var got []string
		for _, w := range ws {
			got = append(got, w.Label)
			if w.Code != GeneratorSaturated || !strings.Contains(w.Message, "at "+w.Label+" ") || !strings.Contains(w.Message, "generator, not the target") {
				t.Errorf("warning %+v", w)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.labels, ",") {
			t.Errorf("threshold %g: flagged %v, want %v", tc.threshold, got, tc.labels)
		}
	}
	if ws := GeneratorSaturation(steps[2:3], 0); !strings.Contains(ws[0].Message, "97%") || !strings.Contains(ws[0].Message, "threshold 90%") {
		t.Errorf("message %q lacks the measured CPU or threshold", ws[0].Message)
	}
}
