// Package scaling fits scalability models to throughput measured at
// increasing concurrency, so that a sweep over workers, users or request
// rates ends in numbers rather than a hand-drawn conclusion.
//
// Two models are fitted to points (N, X(N)):
//
//   - Amdahl's law, X(N) = λN / (1 + σ(N−1)), where λ is the throughput of
//     one unit and σ the serial fraction; throughput approaches λ/σ and never
//     falls.
//   - Gunther's Universal Scalability Law, X(N) = λN / (1 + σ(N−1) + κN(N−1)),
//     which adds κ, the cost of keeping N units coherent; with κ > 0
//     throughput peaks at N* = sqrt((1−σ)/κ) and then falls.
//
// Both are fitted by direct nonlinear least squares on X with λ free and the
// bounds 0 ≤ σ ≤ 1, κ ≥ 0, seeded by Gunther's linearised regression and by
// a coarse grid. The linearisation alone divides by the measured X(1), so
// noise in that one point biases σ and κ; minimising the error in X itself
// treats every step alike.
//
// The package has no dependency on how the points were measured: N may count
// workers, users or rate steps. Analyze runs both fits and gathers the
// warnings a reader should see before trusting them; GeneratorSaturation
// flags steps where the load generator itself ran out of CPU.
package scaling
