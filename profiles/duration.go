package profiles

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseRunTime parses a run time as --run-time and run_time take it: a Go
// duration (90s, 1.5h, 1h20m), which covers Locust's forms (1h20m, 3m, 20s),
// or a bare number of seconds (30, 2.5), as Locust reads a bare number. The
// result must be positive.
func ParseRunTime(s string) (time.Duration, error) {
	d, err := parseRunTime(s)
	if err != nil {
		return 0, fmt.Errorf("run time %w", err)
	}
	return d, nil
}

// parseRunTime is ParseRunTime with errors that start with the value, for
// callers that name the setting themselves.
func parseRunTime(s string) (time.Duration, error) {
	d, err := parseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be greater than zero", s)
	}
	return d, nil
}

// parseDuration reads a Go duration or a bare, non-negative decimal number
// of seconds. Bare numbers are accepted wherever a duration is, so that
// Locust's "30" (seconds) means the same here.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("empty; want a duration such as 90s or 1h20m, or a number of seconds")
	}
	if isBareNumber(s) {
		f, err := strconv.ParseFloat(s, 64)
		ns := f * float64(time.Second)
		if err != nil || ns >= math.MaxInt64 {
			return 0, fmt.Errorf("%s seconds is too long", s)
		}
		return time.Duration(math.Round(ns)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		// The time package words syntax errors and overflow alike, and
		// repeats the input, so say what is accepted instead.
		return 0, errBadDuration
	}
	return d, nil
}

var errBadDuration = errors.New("want a duration such as 90s, 1h20m or 1.5h (units h, m, s, ms, us, ns) or a number of seconds, below 290 years")

// isBareNumber reports whether s is digits with at most one decimal point:
// stricter than strconv.ParseFloat, which would also take "inf", "1e9" and
// hexadecimal floats.
func isBareNumber(s string) bool {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return false
		}
	}
	return digits > 0 && dots <= 1
}

// ParseDuration reads a duration as the command line takes one: a Go
// duration (90s, 1h20m) or a bare number of seconds, as Locust writes
// them; zero is allowed.
func ParseDuration(s string) (time.Duration, error) {
	d, err := parseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q: must not be negative", s)
	}
	return d, nil
}
