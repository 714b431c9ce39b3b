package threshold

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// splitNumber splits a value token into its leading number text and the
// unit after it.
func splitNumber(tok string) (num, unit string) {
	i := 0
	for i < len(tok) && (tok[i] >= '0' && tok[i] <= '9' || tok[i] == '.') {
		i++
	}
	return tok[:i], tok[i:]
}

// parseDecimal reads digits [ "." digits ] or "." digits exactly. Signs,
// exponents, hexadecimal and special values are refused: a limit is written
// by a person, and 1e3ms is more likely a typo than an intent.
func parseDecimal(s string) (*big.Rat, bool) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && frac == "" || hasDot && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// durationUnit returns the length of a time unit; the empty unit is a
// millisecond, as Locust and k6 read bare response-time limits.
func durationUnit(u string) (time.Duration, bool) {
	switch u {
	case "", "ms":
		return time.Millisecond, true
	case "us", "µs", "μs": // micro sign and Greek mu, as time.ParseDuration
		return time.Microsecond, true
	case "s":
		return time.Second, true
	case "m":
		return time.Minute, true
	}
	return 0, false
}

// ratDuration converts a number of units to a Duration, rounded to the
// nanosecond; ok is false when it does not fit.
func ratDuration(r *big.Rat, unit time.Duration) (time.Duration, bool) {
	ns := new(big.Rat).Mul(r, new(big.Rat).SetInt64(int64(unit)))
	q, m := new(big.Int).QuoRem(ns.Num(), ns.Denom(), new(big.Int))
	if m.Lsh(m, 1).Cmp(ns.Denom()) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, false
	}
	return time.Duration(q.Int64()), true
}

// ratFloat converts exactly parsed text to the nearest float64; ok is false
// when it is too large to be one.
func ratFloat(r *big.Rat) (float64, bool) {
	f, _ := r.Float64()
	return f, !math.IsInf(f, 0)
}

// normalizeDecimal writes text accepted by parseDecimal in one canonical
// form ("033.50" is "33.5", ".5" is "0.5"), so that limits written in
// percent keep their exact decimal value through String.
func normalizeDecimal(s string) string {
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	frac = strings.TrimRight(frac, "0")
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}

// hundredth returns r/100 as the nearest float64, with one rounding, so
// that 33.3% is exactly the fraction 0.333 parses to.
func hundredth(r *big.Rat) float64 {
	f, _ := new(big.Rat).Quo(r, big.NewRat(100, 1)).Float64()
	return f
}

// formatDuration writes d exactly, in the largest of s, ms and us that
// leaves a whole part, so that it parses back to the same d and a measured
// value is never rounded onto the limit it is compared with.
func formatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + formatDuration(-d)
	}
	unit, name, width := time.Microsecond, "us", 3
	switch {
	case d >= time.Second:
		unit, name, width = time.Second, "s", 9
	case d >= time.Millisecond || d == 0:
		unit, name, width = time.Millisecond, "ms", 6
	}
	s := strconv.FormatInt(int64(d/unit), 10)
	if frac := int64(d % unit); frac != 0 {
		f := strconv.FormatInt(frac, 10)
		f = strings.Repeat("0", width-len(f)) + f
		s += "." + strings.TrimRight(f, "0")
	}
	return s + name
}

// formatFloat writes f in the shortest form that parses back to f.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
