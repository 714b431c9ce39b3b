package profiles

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseWait(t *testing.T) {
	tests := []struct {
		in   string
		want Wait
	}{
		{"", Wait{}},
		{"0", Wait{}},
		{"none", Wait{}},
		{" 0 ", Wait{}},
		{"constant:1s", Wait{Kind: WaitConstant, Min: time.Second, Max: time.Second}},
		{"constant:0", Wait{Kind: WaitConstant}},
		{"constant:0.5", Wait{Kind: WaitConstant, Min: 500 * time.Millisecond, Max: 500 * time.Millisecond}},
		{"Constant: 250ms", Wait{Kind: WaitConstant, Min: 250 * time.Millisecond, Max: 250 * time.Millisecond}},
		{"between:1s,2s", Wait{Kind: WaitBetween, Min: time.Second, Max: 2 * time.Second}},
		{"between:1, 2", Wait{Kind: WaitBetween, Min: time.Second, Max: 2 * time.Second}},
		{"between:1s,1s", Wait{Kind: WaitBetween, Min: time.Second, Max: time.Second}},
		{"pacing:1s", Wait{Kind: WaitPacing, Interval: time.Second}},
		{"constant_pacing:2", Wait{Kind: WaitPacing, Interval: 2 * time.Second}},
		{"throughput:5", Wait{Kind: WaitThroughput, Interval: 200 * time.Millisecond, Rate: 5}},
		{"throughput:0.5", Wait{Kind: WaitThroughput, Interval: 2 * time.Second, Rate: 0.5}},
		{"constant_throughput:3", Wait{Kind: WaitThroughput, Interval: 333333333, Rate: 3}},
	}
	for _, tt := range tests {
		got, err := ParseWait(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseWait(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseWaitErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"1s", "missing the kind of wait; for a fixed pause write constant:1s"},
		{"5", "missing the kind of wait"},
		{"sometimes", "want 0, constant:1s, between:1s,2s, pacing:1s or throughput:5"},
		{"sleep:1s", `unknown kind "sleep"`},
		{"constant:", "empty"},
		{"constant:abc", "want a duration"},
		{"constant:-1s", "is negative"},
		{"between:1s", "two durations separated by a comma"},
		{"between:2s,1s", "minimum 2s is greater than maximum 1s"},
		{"between:,1s", "minimum: empty"},
		{"between:1s,x", "maximum: want a duration"},
		{"between:1s,2s,3s", "maximum: want a duration"},
		{"pacing:0", "greater than zero"},
		{"pacing:-1s", "is negative"},
		{"throughput:0", "greater than zero"},
		{"throughput:-5", "number of task runs per second"},
		{"throughput:fast", "number of task runs per second"},
		{"throughput:1e3", "number of task runs per second"},
		{"throughput:3000000000", "above one run per nanosecond"},
		{"throughput:0.0000000000000000000000001", "below one run in 290 years"},
	}
	for _, tt := range tests {
		got, err := ParseWait(tt.in)
		if err == nil {
			t.Errorf("ParseWait(%q) = %+v, want an error", tt.in, got)
			continue
		}
		if !strings.HasPrefix(err.Error(), "wait ") || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseWait(%q) error = %q, want it to name the value and say %q", tt.in, err, tt.msg)
		}
	}
}

func TestWaitNext(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		wait string
		took time.Duration
		want time.Duration
	}{
		{"0", time.Second, 0},
		{"constant:1s", 5 * time.Second, time.Second},
		{"pacing:1s", 300 * time.Millisecond, 700 * time.Millisecond},
		{"pacing:1s", time.Second, 0},
		{"pacing:1s", 3 * time.Second, 0},
		{"throughput:4", 50 * time.Millisecond, 200 * time.Millisecond},
		{"between:1s,1s", 0, time.Second},
		{"pacing:1s", -time.Second, time.Second},
	}
	for _, tt := range tests {
		w, err := ParseWait(tt.wait)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Next(rnd, tt.took); got != tt.want {
			t.Errorf("%s: Next(took %v) = %v, want %v", tt.wait, tt.took, got, tt.want)
		}
	}
}

// TestWaitBetweenRange checks that between stays within its bounds and
// reaches both ends of the range.
func TestWaitBetweenRange(t *testing.T) {
	w := Wait{Kind: WaitBetween, Min: 10, Max: 13}
	rnd := rand.New(rand.NewPCG(3, 4))
	seen := map[time.Duration]int{}
	for range 1000 {
		d := w.Next(rnd, 0)
		if d < w.Min || d > w.Max {
			t.Fatalf("Next = %v, outside [%v, %v]", d, w.Min, w.Max)
		}
		seen[d]++
	}
	if len(seen) != 4 {
		t.Errorf("between 10ns and 13ns produced %v, want all four values", seen)
	}
	// The same seed gives the same waits.
	a, b := rand.New(rand.NewPCG(9, 9)), rand.New(rand.NewPCG(9, 9))
	w = Wait{Kind: WaitBetween, Min: time.Second, Max: 2 * time.Second}
	for range 100 {
		if x, y := w.Next(a, 0), w.Next(b, 0); x != y {
			t.Fatalf("same seed, different waits: %v and %v", x, y)
		}
	}
}

func TestWaitExpectedInterval(t *testing.T) {
	tests := []struct {
		wait string
		want time.Duration
		ok   bool
	}{
		{"0", 0, false},
		{"constant:1s", 0, false},
		{"between:1s,2s", 0, false},
		{"pacing:1s", time.Second, true},
		{"throughput:5", 200 * time.Millisecond, true},
	}
	for _, tt := range tests {
		w, err := ParseWait(tt.wait)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := w.ExpectedInterval()
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: ExpectedInterval() = %v, %v; want %v, %v", tt.wait, got, ok, tt.want, tt.ok)
		}
	}
}

func TestWaitString(t *testing.T) {
	tests := map[string]string{
		"":                  "0",
		"constant:1.5":      "constant:1.5s",
		"between:1,2m":      "between:1s,2m0s",
		"constant_pacing:2": "pacing:2s",
		"throughput:0.5":    "throughput:0.5",
	}
	for in, want := range tests {
		w, err := ParseWait(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.String(); got != want {
			t.Errorf("ParseWait(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func FuzzWait(f *testing.F) {
	for _, s := range []string{"0", "constant:1s", "between:1s,2s", "pacing:1s", "throughput:5", "between:2s,1s",
		"throughput:1e-300", "constant:99999999999h", "pacing:", ":", "between:,", "throughput:.5"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, took int64) {
		w, err := ParseWait(s)
		if err != nil {
			if w != (Wait{}) {
				t.Errorf("ParseWait(%q) returned %+v with error %v", s, w, err)
			}
			return
		}
		back, err := ParseWait(w.String())
		if err != nil || back != w {
			t.Fatalf("ParseWait(%q) = %+v, but its String %q reads back as %+v, %v", s, w, w.String(), back, err)
		}
		if w.Min < 0 || w.Max < w.Min || w.Interval < 0 {
			t.Fatalf("ParseWait(%q) = %+v: negative or reversed bounds", s, w)
		}
		d := w.Next(rand.New(rand.NewPCG(1, 1)), time.Duration(took))
		if d < 0 {
			t.Fatalf("%+v: Next(%v) = %v, negative", w, time.Duration(took), d)
		}
		if iv, ok := w.ExpectedInterval(); ok && (iv <= 0 || d > iv) {
			t.Fatalf("%+v: Next(%v) = %v, longer than the interval %v", w, time.Duration(took), d, iv)
		}
	})
}
