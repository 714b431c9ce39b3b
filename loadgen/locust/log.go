package locust

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// The log lines below are Locust's, word for word, for the events that
// scripts and CI jobs wait for in its output. Each returns the message
// only; the logger adds time and level.

// Ramping is logged when users start ramping to a new count.
func Ramping(users int, spawnRate float64) string {
	return fmt.Sprintf("Ramping to %d users at a rate of %.2f per second", users, spawnRate)
}

// AllSpawned is logged when the ramp has reached its user count: the
// users of each class (a profile is one class) and their total.
func AllSpawned(classes map[string]int) string {
	return "All users spawned: " + classCounts(classes)
}

// RunTimeSet is logged at the start of a run with a run time.
func RunTimeSet(d time.Duration) string {
	return fmt.Sprintf("Run time limit set to %d seconds", int64(d/time.Second))
}

// Locust's fixed log lines.
const (
	// NoRunTimeLimit is logged at the start of a run without a run time.
	NoRunTimeLimit = "No run time limit set, use CTRL+C to interrupt"
	// RunTimeReached is logged when the run time ends a run without the
	// web UI, which then exits.
	RunTimeReached = "--run-time limit reached, shutting down"
	// RunTimeReachedStopping is logged when the run time ends a run
	// started with --autostart, whose web UI stays up.
	RunTimeReachedStopping = "--run-time limit reached, stopping test"
	// AutoquitReached is logged when --autoquit's wait after a run ends.
	AutoquitReached = "--autoquit time reached, shutting down"
	// ResettingStats is logged when --reset-stats restarts the statistics
	// once every user has spawned.
	ResettingStats = "Resetting stats"
	// GotSIGTERM is logged when a SIGTERM ends the run.
	GotSIGTERM = "Got SIGTERM signal"
)

// ShuttingDown is the last line before the final tables, with the exit
// code the process is about to exit with.
func ShuttingDown(code int) string {
	return fmt.Sprintf("Shutting down (exit code %d)", code)
}

// StartingWeb is logged when the web UI starts listening at url.
func StartingWeb(url string) string {
	return "Starting web interface at " + url
}

// WaitingForWorkers is logged while a run waits for its workers.
func WaitingForWorkers(connected, expected int) string {
	return fmt.Sprintf("Waiting for workers to be ready, %d of %d connected", connected, expected)
}

// classCounts formats user counts as Locust logs them: the JSON object of
// Python's json.dumps, keys sorted, then the total.
func classCounts(classes map[string]int) string {
	names := make([]string, 0, len(classes))
	total := 0
	for n, c := range classes {
		names = append(names, n)
		total += c
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		pyJSONString(&b, n)
		b.WriteString(": ")
		b.WriteString(strconv.Itoa(classes[n]))
	}
	fmt.Fprintf(&b, "} (%d total users)", total)
	return b.String()
}

// pyJSONString writes s as Python's json.dumps does by default: ASCII
// only, with everything else escaped as \uXXXX (surrogate pairs beyond
// the basic plane).
func pyJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == 0x7f || r > 0x7e:
			if r > 0xffff {
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, hi, lo)
			} else {
				fmt.Fprintf(b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
