package profiles

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// WaitKind says how a user waits between task runs. The kinds are Locust's
// wait_time functions.
type WaitKind uint8

// The wait kinds. WaitNone is the zero value: users run tasks back to back.
const (
	WaitNone       WaitKind = iota
	WaitConstant            // Locust constant(d): the same pause every time
	WaitBetween             // Locust between(min, max): uniform in [Min, Max]
	WaitPacing              // Locust constant_pacing(d): each run plus its wait lasts at least Interval
	WaitThroughput          // Locust constant_throughput(n): pacing at 1/Rate seconds
)

// Wait is a parsed --wait or wait: value. The zero value waits not at all.
type Wait struct {
	Kind WaitKind
	// Min and Max bound the pause of WaitConstant (Min == Max) and
	// WaitBetween.
	Min, Max time.Duration
	// Interval is the target time from one task run's start to the next for
	// WaitPacing and WaitThroughput.
	Interval time.Duration
	// Rate is WaitThroughput's task runs per second per user.
	Rate float64
}

// waitHelp lists the accepted forms; every ParseWait error ends with it.
const waitHelp = "want 0, constant:1s, between:1s,2s, pacing:1s or throughput:5"

// ParseWait parses a wait specification:
//
//	0 (or empty, or none)  no wait
//	constant:D             wait D after every task run
//	between:A,B            wait a uniformly random time from A to B
//	pacing:D               wait so that each task run and its wait take at least D
//	throughput:N           N task runs per second per user, that is pacing:1/N s
//
// Durations are Go durations (500ms, 1s, 1m30s) or bare numbers of seconds
// (0.5, 2), as in Locust's wait_time functions and as in ParseRunTime. The
// kinds may also be spelled as Locust's functions: constant_pacing and
// constant_throughput.
func ParseWait(s string) (Wait, error) {
	w, err := parseWaitValue(s)
	if err != nil {
		return Wait{}, fmt.Errorf("wait %w", err)
	}
	return w, nil
}

// parseWaitValue is ParseWait with errors that start with the value, for
// callers that name the setting themselves.
func parseWaitValue(s string) (Wait, error) {
	w, err := parseWait(strings.TrimSpace(s))
	if err != nil {
		return Wait{}, fmt.Errorf("%q: %w", s, err)
	}
	return w, nil
}

func parseWait(s string) (Wait, error) {
	switch strings.ToLower(s) {
	case "", "0", "none":
		return Wait{}, nil
	}
	kind, arg, found := strings.Cut(s, ":")
	if !found {
		if _, err := parseDuration(s); err == nil {
			return Wait{}, fmt.Errorf("missing the kind of wait; for a fixed pause write constant:%s (%s)", s, waitHelp)
		}
		return Wait{}, fmt.Errorf("%s", waitHelp)
	}
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(strings.TrimSpace(kind)) {
	case "constant":
		d, err := waitDuration(arg)
		if err != nil {
			return Wait{}, err
		}
		return Wait{Kind: WaitConstant, Min: d, Max: d}, nil
	case "between":
		a, b, ok := strings.Cut(arg, ",")
		if !ok {
			return Wait{}, fmt.Errorf("between takes two durations separated by a comma, such as between:1s,2s")
		}
		lo, err := waitDuration(strings.TrimSpace(a))
		if err != nil {
			return Wait{}, fmt.Errorf("minimum: %w", err)
		}
		hi, err := waitDuration(strings.TrimSpace(b))
		if err != nil {
			return Wait{}, fmt.Errorf("maximum: %w", err)
		}
		if lo > hi {
			return Wait{}, fmt.Errorf("minimum %v is greater than maximum %v", lo, hi)
		}
		return Wait{Kind: WaitBetween, Min: lo, Max: hi}, nil
	case "pacing", "constant_pacing":
		d, err := waitDuration(arg)
		if err != nil {
			return Wait{}, err
		}
		if d <= 0 {
			return Wait{}, fmt.Errorf("pacing interval must be greater than zero")
		}
		return Wait{Kind: WaitPacing, Interval: d}, nil
	case "throughput", "constant_throughput":
		if !isBareNumber(arg) {
			return Wait{}, fmt.Errorf("throughput takes a number of task runs per second, such as throughput:5 or throughput:0.5")
		}
		rate, err := strconv.ParseFloat(arg, 64)
		if err != nil || rate <= 0 {
			return Wait{}, fmt.Errorf("throughput must be greater than zero")
		}
		ns := math.Round(float64(time.Second) / rate)
		switch {
		case ns < 1:
			return Wait{}, fmt.Errorf("throughput %s is above one run per nanosecond", arg)
		case ns >= math.MaxInt64:
			return Wait{}, fmt.Errorf("throughput %s is below one run in 290 years", arg)
		}
		interval := time.Duration(ns)
		return Wait{Kind: WaitThroughput, Interval: interval, Rate: rate}, nil
	}
	return Wait{}, fmt.Errorf("unknown kind %q; %s", kind, waitHelp)
}

func waitDuration(s string) (time.Duration, error) {
	d, err := parseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("%s is negative", s)
	}
	return d, nil
}

// Next returns how long a user waits after a task run that took taskTook.
// For pacing and throughput, taskTook is the time since the previous wait
// ended, as in Locust's constant_pacing; when the run overran the interval
// the user does not wait at all. rnd is the user's own generator; only
// WaitBetween draws from it.
func (w Wait) Next(rnd *rand.Rand, taskTook time.Duration) time.Duration {
	switch w.Kind {
	case WaitConstant:
		return w.Min
	case WaitBetween:
		if w.Max <= w.Min {
			return w.Min
		}
		return w.Min + time.Duration(rnd.Uint64N(uint64(w.Max-w.Min)+1))
	case WaitPacing, WaitThroughput:
		if taskTook < 0 { // a clock step; the run took no time at all
			taskTook = 0
		}
		if taskTook >= w.Interval {
			return 0
		}
		return w.Interval - taskTook
	}
	return 0
}

// ExpectedInterval is the intended time between the starts of a user's
// task runs, known only for pacing and throughput. Coordinated-omission
// correction needs it: a response slower than the interval hid the runs
// that should have started meanwhile.
func (w Wait) ExpectedInterval() (time.Duration, bool) {
	switch w.Kind {
	case WaitPacing, WaitThroughput:
		return w.Interval, true
	}
	return 0, false
}

// String returns the canonical form, which ParseWait reads back to the same
// Wait.
func (w Wait) String() string {
	switch w.Kind {
	case WaitConstant:
		return "constant:" + w.Min.String()
	case WaitBetween:
		return "between:" + w.Min.String() + "," + w.Max.String()
	case WaitPacing:
		return "pacing:" + w.Interval.String()
	case WaitThroughput:
		return "throughput:" + strconv.FormatFloat(w.Rate, 'f', -1, 64)
	}
	return "0"
}
