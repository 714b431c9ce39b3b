package report

import (
	"math"
	"strconv"
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

// exactMillis formats a duration in milliseconds with every digit it has,
// for files that programs read: 12.345 for 12345 us.
func exactMillis(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64)
}

// number formats a float with the fewest digits that read back exactly, as
// Python prints floats in Locust's CSV files.
func number(v float64) string {
	return strconv.FormatFloat(v, 'f', -1, 64)
}
