package profiles

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
const stagesHelp = "want duration:users stages separated by commas, such as 30s:10,1m:100,30s:0"

// MaxStageUsers is the largest user count a stage may ask for.
const MaxStageUsers = 10_000_000

// ParseStages reads user stages as --stages and stages: write them:
// comma-separated duration:users pairs such as "30s:10,1m:100,30s:0". Each
// stage moves the number of users linearly to its count over its duration
// (ramping up from the count before it, or retiring users down to it), so
// "1m:10,0s:100,30s:100,0s:10" is a spike: a step up to 100 users, held
// for 30 seconds, and a step back. Durations are Go durations or bare
// numbers of seconds; 0s changes the count at once. The run lasts as long
// as the stages add up to, unless a run time ends it sooner.
func ParseStages(s string) ([]Stage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("stages are empty; " + stagesHelp)
	}
	parts := strings.Split(s, ",")
	out := make([]Stage, 0, len(parts))
	var total time.Duration
	for i, part := range parts {
		part = strings.TrimSpace(part)
		st, err := parseStage(part)
		if err != nil {
			return nil, fmt.Errorf("stage %d %q: %w; %s", i+1, part, err, stagesHelp)
		}
		if total > math.MaxInt64-st.Duration {
			return nil, fmt.Errorf("stage %d %q: the stages add up to more than 290 years", i+1, part)
		}
		total += st.Duration
		out = append(out, st)
	}
	return out, nil
}

func parseStage(s string) (Stage, error) {
	ds, us, ok := strings.Cut(s, ":")
	if !ok {
		return Stage{}, errors.New("no colon between the duration and the users")
	}
	ds, us = strings.TrimSpace(ds), strings.TrimSpace(us)
	d, err := parseDuration(ds)
	if err != nil {
		return Stage{}, fmt.Errorf("duration: %w", err)
	}
	if d < 0 {
		return Stage{}, errors.New("duration is negative")
	}
	n, err := strconv.Atoi(us)
	if err != nil || n < 0 || n > MaxStageUsers {
		return Stage{}, fmt.Errorf("users %q is not a whole number from 0 to %d", us, MaxStageUsers)
	}
	return Stage{Duration: d, Users: n}, nil
}

// FormatStages writes stages as ParseStages reads them.
func FormatStages(stages []Stage) string {
	var b strings.Builder
	for i, s := range stages {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.Duration.String())
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(s.Users))
	}
	return b.String()
}

// StagesDuration is how long the stages last in all.
func StagesDuration(stages []Stage) time.Duration {
	var d time.Duration
	for _, s := range stages {
		d += s.Duration
	}
	return d
}
