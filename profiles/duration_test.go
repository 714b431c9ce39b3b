package profiles

import (
	"strings"
	"testing"
	"time"
)

func TestParseRunTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second},
		{"1h20m", 80 * time.Minute},
		{"3m", 3 * time.Minute},
		{"20s", 20 * time.Second},
		{"1h30m10s", time.Hour + 30*time.Minute + 10*time.Second},
		{"1.5h", 90 * time.Minute},
		{"250ms", 250 * time.Millisecond},
		{"30", 30 * time.Second},
		{"2.5", 2500 * time.Millisecond},
		{".5", 500 * time.Millisecond},
		{" 10s ", 10 * time.Second},
		{"0.000000001", time.Nanosecond},
	}
	for _, tt := range tests {
		got, err := ParseRunTime(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRunTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRunTimeErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", "empty"},
		{"   ", "empty"},
		{"0", "greater than zero"},
		{"0s", "greater than zero"},
		{"-5s", "greater than zero"},
		{"abc", "want a duration"},
		{"10 s", "want a duration"},
		{"1d", "want a duration"},
		{"1e3", "want a duration"},
		{"inf", "want a duration"},
		{"1.2.3", "want a duration"},
		{"-", "want a duration"},
		{"99999999999999999999", "too long"},
		{"9999999999999h", "290 years"},
	}
	for _, tt := range tests {
		got, err := ParseRunTime(tt.in)
		if err == nil {
			t.Errorf("ParseRunTime(%q) = %v, want an error", tt.in, got)
			continue
		}
		if !strings.HasPrefix(err.Error(), "run time ") || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseRunTime(%q) error = %q, want it to name the value and say %q", tt.in, err, tt.msg)
		}
	}
}

func FuzzRunTime(f *testing.F) {
	for _, s := range []string{"90s", "1h20m", "30", "2.5", "", "-1s", "1e9", "99999999999999999999", "1h-5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseRunTime(s)
		if err != nil {
			if d != 0 {
				t.Errorf("ParseRunTime(%q) returned %v with error %v", s, d, err)
			}
			return
		}
		if d <= 0 {
			t.Fatalf("ParseRunTime(%q) = %v, want a positive duration", s, d)
		}
		// The canonical form must read back to the same duration.
		back, err := ParseRunTime(d.String())
		if err != nil || back != d {
			t.Fatalf("ParseRunTime(%q) = %v, but its String %q reads back as %v, %v", s, d, d.String(), back, err)
		}
	})
}
