package profiles

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ParseRatio parses --ratio A:B[:C...] into weights, one per task in profile
// order. Each weight is a whole number from 0 to MaxWeight, and at least one
// must be positive. Errors name the flag and the offending part.
func ParseRatio(ratio string) ([]int, error) {
	shown := showRatio(ratio)
	if strings.TrimSpace(ratio) == "" {
		return nil, fmt.Errorf("--ratio %s is empty; give one weight per task, such as 3:1", shown)
	}
	parts := strings.Split(ratio, ":")
	weights := make([]int, len(parts))
	positive := false
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("--ratio %s: weight %d is empty; give one whole number per task, such as 3:1", shown, i+1)
		}
		w, err := strconv.Atoi(part)
		switch {
		case err != nil && isSignedDigits(part):
			return nil, fmt.Errorf("--ratio %s: weight %d (%s) is out of range; the largest is %d", shown, i+1, part, MaxWeight)
		case err != nil:
			return nil, fmt.Errorf("--ratio %s: weight %d (%q) is not a whole number", shown, i+1, part)
		case w < 0:
			return nil, fmt.Errorf("--ratio %s: weight %d (%d) is negative; weights are 0 or more", shown, i+1, w)
		case w > MaxWeight:
			return nil, fmt.Errorf("--ratio %s: weight %d (%d) is too large; the largest is %d", shown, i+1, w, MaxWeight)
		}
		weights[i] = w
		positive = positive || w > 0
	}
	if !positive {
		return nil, fmt.Errorf("--ratio %s: every weight is zero; at least one task must have a positive weight", shown)
	}
	return weights, nil
}

// ApplyRatio overrides the task weights of p with --ratio, in task order, so
// that --ratio 3:1 on the albums profile means three GETs per POST. It
// changes nothing when the ratio is invalid or its length differs from the
// number of tasks. A profile with several user classes has a weight per
// class and per task, which one list cannot say, so it is refused. Apply it
// before Compile, which copies the weights.
func ApplyRatio(p *Profile, ratio string) error {
	weights, err := ParseRatio(ratio)
	if err != nil {
		return err
	}
	if len(p.Classes) != 1 {
		return fmt.Errorf("--ratio %s sets the task weights of a profile with one user class, but profile %s has %d classes; set the weights in the profile",
			showRatio(ratio), p.Name, len(p.Classes))
	}
	tasks := p.Classes[0].Tasks
	if len(weights) != len(tasks) {
		return fmt.Errorf("--ratio %s has %d %s but profile %s has %d %s",
			showRatio(ratio), len(weights), plural(len(weights), "weight", "weights"),
			p.Name, len(tasks), plural(len(tasks), "task", "tasks"))
	}
	for i, w := range weights {
		tasks[i].Weight = w
	}
	return nil
}

// showRatio prints the flag value as typed unless quoting is needed to see
// it: empty, spaces, control characters, or a trailing colon that would run
// into the message's own.
func showRatio(s string) string {
	if s == "" || strings.HasSuffix(s, ":") {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' {
			return strconv.Quote(s)
		}
	}
	return s
}

func isSignedDigits(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return s != "" && strings.Trim(s, "0123456789") == ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
