package report

import (
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

func TestExactMillis(t *testing.T) {
	tests := map[time.Duration]string{
		0:                        "0",
		12345 * time.Microsecond: "12.345",
		time.Microsecond:         "0.001",
		3 * time.Second:          "3000",
		1500 * time.Nanosecond:   "0.0015",
	}
	for in, want := range tests {
		if got := exactMillis(in); got != want {
			t.Errorf("exactMillis(%v) = %q, want %q", in, got, want)
		}
	}
}
