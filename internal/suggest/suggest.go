// Package suggest turns a misspelt name into the known one it was meant
// to be, for messages such as `unknown field "wieght"; did you mean
// "weight"?`.
package suggest

import "strings"

// Closest returns the known name within two edits of s, if any, to turn a
// typo into a suggestion.
func Closest(s string, known []string) string {
	best, bestDist := "", 3
	ls := strings.ToLower(s)
	for _, k := range known {
		if dist := EditDistance(ls, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	return best
}

// EditDistance is the Levenshtein distance between a and b, in bytes; the
// inputs are field names, so byte-wise is enough.
func EditDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
