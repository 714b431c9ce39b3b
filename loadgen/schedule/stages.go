package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/profiles"
)

// stagesHelp ends every ParseStages error, so that the fix is in the
// message.
const stagesHelp = "want duration:rate pairs separated by commas, such as 30s:100,60s:1000,30s:0"

// ParseStages reads a rate profile written as comma-separated
// duration:rate stages, such as "30s:100,60s:1000,30s:0": each stage moves
// the rate linearly to its target, in requests per second, over its
// duration (see Rate). The form is that of user stages (see
// profiles.ParseStageList).
func ParseStages(s string) ([]Stage, error) {
	var stages []Stage
	err := profiles.ParseStageList(s, "rate", stagesHelp, func(d time.Duration, rs string) error {
		r, err := strconv.ParseFloat(rs, 64)
		if err != nil {
			return fmt.Errorf("rate %q is not a number of requests per second", rs)
		}
		if err := checkRate(r); err != nil {
			return fmt.Errorf("rate %q: %w", rs, err)
		}
		stages = append(stages, Stage{Duration: d, Target: r})
		return nil
	})
	return stages, err
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
