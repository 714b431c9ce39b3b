package schedule

// SplitUsers divides total users over n workers as evenly as possible, the
// first workers taking one more when it does not divide: 50 over 4 is
// 13, 13, 12, 12. It returns nil when n is not positive.
func SplitUsers(total, n int) []int {
	if n <= 0 {
		return nil
	}
	if total < 0 {
		total = 0
	}
	out := make([]int, n)
	base, extra := total/n, total%n
	for i := range out {
		out[i] = base
		if i < extra {
			out[i]++
		}
	}
	return out
}

// RampRates gives each worker the ramp rate that makes the fleet move at rate
// users per second as a whole. Workers that gain users share rate in
// proportion to what each gains, and workers that lose users share it in
// proportion to what each loses, so that both groups finish together and
// the fleet's count stays near its target while users move from some
// workers to others. A rate of zero or less (all at once) stays zero.
// current and target must have the same length.
func RampRates(rate float64, current, target []int) []float64 {
	out := make([]float64, len(target))
	if rate <= 0 {
		return out
	}
	up, down := 0, 0
	for i := range target {
		if d := target[i] - current[i]; d > 0 {
			up += d
		} else {
			down -= d
		}
	}
	for i := range target {
		d := target[i] - current[i]
		switch {
		case d > 0:
			out[i] = rate * float64(d) / float64(up)
		case d < 0:
			out[i] = rate * float64(-d) / float64(down)
		default:
			// Nothing to move: any rate is right, and a nonzero one keeps a
			// later change from happening all at once.
			out[i] = rate / float64(len(target))
		}
	}
	return out
}
