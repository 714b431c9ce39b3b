package users

// picker chooses tasks by smooth weighted round robin: over any window of
// sum(weights) choices each task runs exactly its weight, and the choices of
// one task are spread evenly rather than bunched. With weights 3:1 it yields
// A A B A, A A B A, ... Each user starts at its own seeded phase, so users do
// not march in step while a run stays reproducible.
type picker struct {
	weights []int
	current []int
	total   int
}

func newPicker(weights []int, phase int) *picker {
	p := &picker{weights: weights, current: make([]int, len(weights))}
	for _, w := range weights {
		p.total += w
	}
	if p.total > 0 {
		for range phase % p.total {
			p.next()
		}
	}
	return p
}

// next returns the index of the task to run; it must not be called when
// every weight is zero.
func (p *picker) next() int {
	best := -1
	for i, w := range p.weights {
		if w <= 0 {
			continue
		}
		p.current[i] += w
		if best < 0 || p.current[i] > p.current[best] {
			best = i
		}
	}
	p.current[best] -= p.total
	return best
}
