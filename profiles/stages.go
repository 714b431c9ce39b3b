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
	var out []Stage
	err := ParseStageList(s, "users", stagesHelp, func(d time.Duration, us string) error {
		n, err := strconv.Atoi(us)
		if err != nil || n < 0 || n > MaxStageUsers {
			return fmt.Errorf("users %q is not a whole number from 0 to %d", us, MaxStageUsers)
		}
		out = append(out, Stage{Duration: d, Users: n})
		return nil
	})
	return out, err
}

// ParseStageList reads comma-separated DURATION:VALUE stages, the form
// that user stages and rate stages share: durations are Go durations or
// bare numbers of seconds, never negative, adding up to less than 290
// years; spaces around the parts are ignored. value reads each stage's
// VALUE, which what names; help ends every error, which names the stage
// by position and quotes it.
func ParseStageList(s, what, help string, value func(d time.Duration, v string) error) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("no stages; " + help)
	}
	var total time.Duration
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		d, err := parseStage(part, what, value)
		if err == nil && total > math.MaxInt64-d {
			err = errors.New("the stages add up to more than 290 years")
		}
		if err != nil {
			return fmt.Errorf("stage %d %q: %w; %s", i+1, part, err, help)
		}
		total += d
	}
	return nil
}

// parseStage reads one stage and hands its value to value; it returns
// the stage's duration.
func parseStage(s, what string, value func(d time.Duration, v string) error) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	ds, vs, ok := strings.Cut(s, ":")
	if !ok {
		return 0, fmt.Errorf("no colon between the duration and the %s", what)
	}
	ds, vs = strings.TrimSpace(ds), strings.TrimSpace(vs)
	d, err := parseDuration(ds)
	switch {
	case err == nil && d < 0, err != nil && strings.HasPrefix(ds, "-"):
		return 0, fmt.Errorf("duration %q is negative", ds)
	case err != nil:
		return 0, fmt.Errorf("duration %q: %w", ds, err)
	case vs == "":
		return 0, fmt.Errorf("no %s after the colon", what)
	}
	return d, value(d, vs)
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
