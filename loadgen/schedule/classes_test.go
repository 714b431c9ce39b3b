package schedule

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/internal/locusttest"
)

func TestClassCounts(t *testing.T) {
	for _, tc := range []struct {
		weights []int
		users   int
		want    []int
	}{
		{[]int{4, 1}, 10, []int{8, 2}},
		{[]int{4, 1}, 5, []int{4, 1}},
		{[]int{4, 1}, 3, []int{2, 1}},
		{[]int{4, 1}, 1, []int{1, 0}},
		{[]int{1, 1, 1}, 2, []int{1, 1, 0}},
		{[]int{3, 0, 1}, 8, []int{6, 0, 2}},
		{[]int{2, 5, 6}, 26, []int{4, 10, 12}},
		{[]int{1}, 7, []int{7}},
		{[]int{5, 3}, 0, []int{0, 0}},
	} {
		c, err := NewClasses(tc.weights)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Counts(tc.users); !slices.Equal(got, tc.want) {
			t.Errorf("Counts(%d) over %v = %v, want %v", tc.users, tc.weights, got, tc.want)
		}
	}
}

// TestClassMixStaysClose checks what makes the sequence smooth: at every
// user count, each class is within one user of its exact share.
func TestClassMixStaysClose(t *testing.T) {
	for _, weights := range [][]int{{4, 1}, {2, 5, 6}, {1, 1, 1, 1}, {97, 2, 55, 37, 5}, {10000, 1}} {
		c, err := NewClasses(weights)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, w := range weights {
			total += w
		}
		counts := make([]int, len(weights))
		for n := 1; n <= 3*total && n <= 30000; n++ {
			counts[c.Of(n-1)]++
			for i, w := range weights {
				exact := float64(n) * float64(w) / float64(total)
				if d := float64(counts[i]) - exact; d <= -1 || d >= 1 {
					t.Fatalf("%v: after %d users class %d has %d, exact share %.2f", weights, n, i, counts[i], exact)
				}
			}
			if n%97 == 0 && !slices.Equal(counts, c.Counts(n)) {
				t.Fatalf("%v: Counts(%d) = %v, the sequence gives %v", weights, n, c.Counts(n), counts)
			}
		}
	}
}

func TestWorkerCounts(t *testing.T) {
	c, err := NewClasses([]int{2, 1})
	if err != nil {
		t.Fatal(err)
	}
	// 3 users over 3 workers: the fleet is 2 and 1, not 3 of the first
	// class as a split per worker would make it.
	var fleet []int
	for w := range 3 {
		wc := c.WorkerCounts(3, 3, w)
		if fleet == nil {
			fleet = make([]int, len(wc))
		}
		for i := range wc {
			fleet[i] += wc[i]
		}
	}
	if !slices.Equal(fleet, []int{2, 1}) {
		t.Errorf("fleet of 3 users on 3 workers at 2:1 is %v, want [2 1]", fleet)
	}
	for _, weights := range [][]int{{4, 1}, {2, 5, 6}, {7, 3, 1}} {
		c, _ := NewClasses(weights)
		for n := 1; n <= 5; n++ {
			for total := 0; total <= 60; total++ {
				sum := make([]int, len(weights))
				for w := range n {
					wc := c.WorkerCounts(total, n, w)
					users := 0
					for i, x := range wc {
						sum[i] += x
						users += x
					}
					// The worker's count agrees with a plain round robin.
					if want := total/n + boolInt(w < total%n); users != want {
						t.Fatalf("%v, %d users, %d workers: worker %d runs %d, want %d", weights, total, n, w, users, want)
					}
				}
				if !slices.Equal(sum, c.Counts(total)) {
					t.Fatalf("%v, %d users, %d workers: fleet %v, one process %v", weights, total, n, sum, c.Counts(total))
				}
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestNewClassesErrors(t *testing.T) {
	for _, tc := range []struct {
		weights []int
		want    string
	}{
		{nil, "no user classes"},
		{[]int{0, 0}, "every user class has weight 0"},
		{[]int{1, -1}, "class 2: weight -1"},
		{[]int{MaxClassWeight + 1}, "class 1: weight 10001"},
		{make([]int, MaxClasses+1), "at most 100"},
	} {
		if _, err := NewClasses(tc.weights); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClasses(%v) = %v, want %q", tc.weights, err, tc.want)
		}
	}
}

// TestClassesLikeLocust compares the spread with Locust's own
// UsersDispatcher (Debian's python3-locust), one process and several
// workers. Classes are named in alphabetical order, which is how Locust
// breaks ties, and weights are multiples of half the smallest, which
// Locust's rounding keeps exact.
func TestClassesLikeLocust(t *testing.T) {
	python := locusttest.Python(t, "locust.dispatch")
	cases := []struct {
		weights        []int
		workers, users int
	}{
		{[]int{4, 1}, 1, 10},
		{[]int{4, 1}, 1, 7},
		{[]int{3, 1}, 2, 10},
		{[]int{2, 5, 6}, 3, 17},
		{[]int{1, 1, 1}, 2, 5},
		{[]int{2, 1}, 3, 3},
		{[]int{10, 5, 1}, 4, 50},
	}
	type locustCase struct {
		Classes [][2]any `json:"classes"`
		Workers int      `json:"workers"`
		Users   int      `json:"users"`
	}
	var specs []locustCase
	for _, tc := range cases {
		lc := locustCase{Workers: tc.workers, Users: tc.users}
		for i, w := range tc.weights {
			lc.Classes = append(lc.Classes, [2]any{string(rune('A' + i)), w})
		}
		specs = append(specs, lc)
	}
	arg, _ := json.Marshal(specs)
	out, err := exec.Command(python, "testdata/locust_dispatch.py", string(arg)).CombinedOutput()
	if err != nil {
		t.Fatalf("Locust's dispatcher: %v\n%s", err, out)
	}
	var locust []map[string]map[string]int
	if err := json.Unmarshal(out, &locust); err != nil || len(locust) != len(cases) {
		t.Fatalf("Locust's output %q: %v", out, err)
	}
	for k, tc := range cases {
		c, err := NewClasses(tc.weights)
		if err != nil {
			t.Fatal(err)
		}
		for w := range tc.workers {
			got := c.WorkerCounts(tc.users, tc.workers, w)
			want := make([]int, len(tc.weights))
			for i := range want {
				want[i] = locust[k][fmt.Sprint(w)][string(rune('A'+i))]
			}
			if !slices.Equal(got, want) {
				t.Errorf("%v, %d users on %d workers: worker %d runs %v, Locust's %v", tc.weights, tc.users, tc.workers, w, got, want)
			}
		}
	}
}
