package report

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestMillis(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0"},
		{time.Microsecond, "0.001"},
		{45 * time.Microsecond, "0.045"},
		{99 * time.Microsecond, "0.099"},
		{100 * time.Microsecond, "0.10"},
		{840 * time.Microsecond, "0.84"},
		{996 * time.Microsecond, "1.0"},
		{7300 * time.Microsecond, "7.3"},
		{9960 * time.Microsecond, "10"},
		{12 * time.Millisecond, "12"},
		{12499 * time.Microsecond, "12"},
		{250 * time.Millisecond, "250"},
		{83 * time.Second, "83000"},
	}
	for _, tt := range tests {
		if got := Millis(tt.in); got != tt.want {
			t.Errorf("Millis(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPyFloat pins floats to Python's repr(), which is how Locust's CSV
// files hold them; the expected strings were printed by python3.
func TestPyFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {49, "49.0"}, {0.5, "0.5"}, {2.297838564100647, "2.297838564100647"},
		{1e-05, "1e-05"}, {0.0001, "0.0001"}, {0.00012, "0.00012"}, {1234567.125, "1234567.125"},
		{1e16, "1e+16"}, {1.5e16, "1.5e+16"}, {9999999999999998, "9999999999999998.0"},
		{120.2, "120.2"}, {1.0 / 3, "0.3333333333333333"}, {-2.5, "-2.5"}, {100, "100.0"},
	}
	for _, tt := range tests {
		if got := pyFloat(tt.in); got != tt.want {
			t.Errorf("pyFloat(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPyFloatJSON: JSON as Python's json.dumps writes these floats, and
// null for what JSON cannot hold.
func TestPyFloatJSON(t *testing.T) {
	b, err := json.Marshal([]PyFloat{0, 49, 0.25, 1e-05, 1e16, PyFloat(math.NaN()), PyFloat(math.Inf(1))})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[0.0,49.0,0.25,1e-05,1e+16,null,null]"; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

// TestWholeMillis rounds half to even, as Python's round() does.
func TestWholeMillis(t *testing.T) {
	tests := map[time.Duration]string{
		0:                           "0",
		499 * time.Microsecond:      "0",
		500 * time.Microsecond:      "0",
		1500 * time.Microsecond:     "2",
		2500 * time.Microsecond:     "2",
		2600 * time.Microsecond:     "3",
		1000500 * time.Microsecond:  "1000",
		12345678 * time.Microsecond: "12346",
	}
	for in, want := range tests {
		if got := wholeMillis(in); got != want {
			t.Errorf("wholeMillis(%v) = %q, want %q", in, got, want)
		}
	}
}
