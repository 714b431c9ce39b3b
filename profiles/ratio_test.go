package profiles

import (
	"reflect"
	"strings"
	"testing"
)

func twoTasks(t *testing.T) *Profile {
	t.Helper()
	p, err := Parse("albums.yaml", []byte("name: albums\ntasks:\n  - path: /albums\n    weight: 3\n  - method: POST\n    path: /albums\n"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplyRatio(t *testing.T) {
	tests := []struct {
		ratio string
		want  []int
	}{
		{"3:1", []int{3, 1}},
		{"1:0", []int{1, 0}},
		{"0:7", []int{0, 7}},
		{" 2 : 5 ", []int{2, 5}},
		{"+4:1", []int{4, 1}},
		{"1000000:1", []int{1000000, 1}},
	}
	for _, tt := range tests {
		p := twoTasks(t)
		if err := ApplyRatio(p, tt.ratio); err != nil {
			t.Errorf("ApplyRatio(%q): %v", tt.ratio, err)
			continue
		}
		tasks := p.Classes[0].Tasks
		got := []int{tasks[0].Weight, tasks[1].Weight}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ApplyRatio(%q) weights = %v, want %v", tt.ratio, got, tt.want)
		}
	}
}

func TestApplyRatioErrors(t *testing.T) {
	tests := []struct{ ratio, want string }{
		{"3:1:2", "--ratio 3:1:2 has 3 weights but profile albums has 2 tasks"},
		{"3", "--ratio 3 has 1 weight but profile albums has 2 tasks"},
		{"0:0", "--ratio 0:0: every weight is zero; at least one task must have a positive weight"},
		{"3:-1", "--ratio 3:-1: weight 2 (-1) is negative; weights are 0 or more"},
		{"3:x", `--ratio 3:x: weight 2 ("x") is not a whole number`},
		{"3:1.5", `--ratio 3:1.5: weight 2 ("1.5") is not a whole number`},
		{"3::1", "--ratio 3::1: weight 2 is empty; give one whole number per task, such as 3:1"},
		{"3:", `--ratio "3:": weight 2 is empty`},
		{":1", "--ratio :1: weight 1 is empty"},
		{"", `--ratio "" is empty; give one weight per task, such as 3:1`},
		{"  ", `--ratio "  " is empty`},
		{"3,1", `--ratio 3,1: weight 1 ("3,1") is not a whole number`},
		{"3:1 x", `--ratio "3:1 x": weight 2 ("1 x") is not a whole number`},
		{"1000001:1", "--ratio 1000001:1: weight 1 (1000001) is too large; the largest is 1000000"},
		{"99999999999999999999:1", "--ratio 99999999999999999999:1: weight 1 (99999999999999999999) is out of range; the largest is 1000000"},
		{"+-1:1", `--ratio +-1:1: weight 1 ("+-1") is not a whole number`},
	}
	for _, tt := range tests {
		p := twoTasks(t)
		err := ApplyRatio(p, tt.ratio)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("ApplyRatio(%q) = %v, want %q", tt.ratio, err, tt.want)
		}
		if tasks := p.Classes[0].Tasks; tasks[0].Weight != 3 || tasks[1].Weight != 1 {
			t.Errorf("ApplyRatio(%q) failed but changed the weights to %d:%d", tt.ratio, tasks[0].Weight, tasks[1].Weight)
		}
	}
}

func TestApplyRatioRefusesClasses(t *testing.T) {
	p, err := Parse("two.yaml", []byte("classes:\n  - {name: A, tasks: [{path: /a}]}\n  - {name: B, tasks: [{path: /b}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = ApplyRatio(p, "1:1")
	if err == nil || !strings.Contains(err.Error(), "profile two has 2 classes; set the weights in the profile") {
		t.Errorf("ApplyRatio on two classes = %v", err)
	}
}

func FuzzRatio(f *testing.F) {
	for _, s := range []string{"3:1", "0:0", "1:2:3", "", ":", "-1:2", "x", "99999999999999999999:1", " 1 : 2 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		weights, err := ParseRatio(s)
		if err != nil {
			if weights != nil || !strings.HasPrefix(err.Error(), "--ratio ") {
				t.Fatalf("ParseRatio(%q) = %v, %q: errors must name the flag and return no weights", s, weights, err)
			}
			return
		}
		if len(weights) != strings.Count(s, ":")+1 {
			t.Fatalf("ParseRatio(%q) = %v: one weight per part expected", s, weights)
		}
		sum := 0
		for _, w := range weights {
			if w < 0 || w > MaxWeight {
				t.Fatalf("ParseRatio(%q) = %v: weight out of range", s, weights)
			}
			sum += w
		}
		if sum == 0 {
			t.Fatalf("ParseRatio(%q) = %v: all zero accepted", s, weights)
		}
		// Applying it to a profile with as many tasks sets exactly these weights.
		p := &Profile{Name: "f", Classes: []Class{{Tasks: make([]Task, len(weights))}}}
		if err := ApplyRatio(p, s); err != nil {
			t.Fatalf("ApplyRatio(%q): %v", s, err)
		}
		for i, w := range weights {
			if got := p.Classes[0].Tasks[i].Weight; got != w {
				t.Fatalf("ApplyRatio(%q): task %d weight %d, want %d", s, i, got, w)
			}
		}
	})
}
