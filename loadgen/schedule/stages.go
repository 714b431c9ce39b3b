package schedule

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// stagesHelp ends every ParseStages error, so that the fix is in the
// message.
const stagesHelp = "want duration:rate pairs separated by commas, such as 30s:100,60s:1000,30s:0"

// ParseStages reads a rate profile written as comma-separated
// duration:rate stages, such as "30s:100,60s:1000,30s:0": each stage moves
// the rate linearly to its target, in requests per second, over its
// duration (see Rate). Durations are Go durations (90s, 1m30s, 500ms) or
// bare numbers of seconds; 0s steps to a rate at once. Spaces around the
// parts are ignored. Errors name the stage by position and quote it.
func ParseStages(s string) ([]Stage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no stages; " + stagesHelp)
	}
	parts := strings.Split(s, ",")
	stages := make([]Stage, 0, len(parts))
	var total time.Duration
	for i, part := range parts {
		st, err := parseStage(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("stage %d %q: %w; %s", i+1, strings.TrimSpace(part), err, stagesHelp)
		}
		if total > math.MaxInt64-st.Duration {
			return nil, fmt.Errorf("stage %d %q: the stages add up to more than %v", i+1, strings.TrimSpace(part), time.Duration(math.MaxInt64))
		}
		total += st.Duration
		stages = append(stages, st)
	}
	return stages, nil
}

func parseStage(s string) (Stage, error) {
	if s == "" {
		return Stage{}, errors.New("empty")
	}
	ds, rs, ok := strings.Cut(s, ":")
	if !ok {
		return Stage{}, errors.New("no colon between duration and rate")
	}
	ds, rs = strings.TrimSpace(ds), strings.TrimSpace(rs)
	d, err := parseStageDuration(ds)
	if err != nil {
		return Stage{}, fmt.Errorf("duration %q: %w", ds, err)
	}
	if rs == "" {
		return Stage{}, errors.New("no rate after the colon")
	}
	r, err := strconv.ParseFloat(rs, 64)
	if err != nil {
		return Stage{}, fmt.Errorf("rate %q is not a number of requests per second", rs)
	}
	if err := checkRate(r); err != nil {
		return Stage{}, fmt.Errorf("rate %q: %w", rs, err)
	}
	return Stage{Duration: d, Target: r}, nil
}

// parseStageDuration reads a non-negative Go duration or bare number of
// seconds.
func parseStageDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && isDecimal(s) {
		if f < 0 {
			return 0, errors.New("negative")
		}
		ns := f * float64(time.Second)
		if ns >= math.MaxInt64 {
			return 0, errors.New("too long")
		}
		return time.Duration(math.Round(ns)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration such as 30s, 1m30s or 500ms, nor a number of seconds")
	}
	if d < 0 {
		return 0, errors.New("negative")
	}
	return d, nil
}

// isDecimal reports whether s is a plain decimal number, so that words
// ParseFloat also takes ("inf", "nan", "0x1p4", "1e3") are not read as
// seconds.
func isDecimal(s string) bool {
	dot := false
	digits := 0
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		case (c == '+' || c == '-') && i == 0:
		default:
			return false
		}
	}
	return digits > 0
}

// FormatStages writes stages in the form ParseStages reads, so that
// FormatStages(ParseStages(s)) parses back to the same stages.
func FormatStages(stages []Stage) string {
	var b strings.Builder
	for i, s := range stages {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.Duration.String())
		b.WriteByte(':')
		b.WriteString(strconv.FormatFloat(s.Target, 'g', -1, 64))
	}
	return b.String()
}
