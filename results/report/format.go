package report

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Millis formats a response time in milliseconds for the console, with
// decimals only where they matter: 0.045, 0.84, 7.3, 12, 250.
func Millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms == 0 {
		return "0"
	}
	// Round at the precision a range gets, then pick the format from the
	// rounded value, so 9.96 becomes "10" and not "10.0".
	if r := math.Round(ms*1000) / 1000; r < 0.1 {
		return strconv.FormatFloat(r, 'f', 3, 64)
	}
	if r := math.Round(ms*100) / 100; r < 1 {
		return strconv.FormatFloat(r, 'f', 2, 64)
	}
	if r := math.Round(ms*10) / 10; r < 10 {
		return strconv.FormatFloat(r, 'f', 1, 64)
	}
	return strconv.FormatFloat(math.Round(ms), 'f', 0, 64)
}

// number formats a float with the fewest digits that read back exactly.
func number(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// pyFloat formats a float as Python's repr() does, and so as Locust's CSV
// files hold floats: the fewest digits that read back exactly, always with
// a decimal point or an exponent (49.0, 0.5, 1e-05), so that a reader
// infers a float column from any of its values.
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	// Python switches to exponent notation outside [1e-4, 1e16).
	if a := math.Abs(v); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// wholeMillis formats a duration as a whole number of milliseconds,
// rounded half to even as Python's round() rounds.
func wholeMillis(d time.Duration) string {
	return strconv.FormatInt(int64(math.RoundToEven(ms(d))), 10)
}

// PyFloat is a float that encodes to JSON as Python's json module, and so
// Locust's web API, writes one: always with a decimal point or an
// exponent (49.0, 1e-05), so that a Python reader gets a float and never
// an int. NaN and the infinities, which JSON lacks, encode as null.
type PyFloat float64

// MarshalJSON writes f as Python's repr() does.
func (f PyFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return []byte(pyFloat(v)), nil
}
