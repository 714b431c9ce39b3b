package users

import (
	"slices"
	"testing"
)

func TestPickerExactShares(t *testing.T) {
	tests := []struct {
		weights []int
		phase   int
	}{
		{[]int{3, 1}, 0},
		{[]int{3, 1}, 2},
		{[]int{1, 0, 5}, 7},
		{[]int{2, 3, 7}, 100},
		{[]int{1}, 0},
	}
	for _, tt := range tests {
		p := newPicker(tt.weights, tt.phase)
		total := 0
		for _, w := range tt.weights {
			total += w
		}
		for window := range 5 {
			got := make([]int, len(tt.weights))
			for range total {
				got[p.next()]++
			}
			if !slices.Equal(got, tt.weights) {
				t.Errorf("weights %v phase %d window %d: counts %v", tt.weights, tt.phase, window, got)
			}
		}
	}
}

func TestPickerIsSmooth(t *testing.T) {
	p := newPicker([]int{3, 1}, 0)
	var seq []int
	for range 8 {
		seq = append(seq, p.next())
	}
	// No run of the lighter task, and the heavier never more than 3 in a row.
	want := []int{0, 0, 1, 0, 0, 0, 1, 0}
	if !slices.Equal(seq, want) {
		t.Errorf("sequence %v, want %v", seq, want)
	}
}
