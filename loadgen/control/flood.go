package control

import (
	"log/slog"
	"slices"
	"time"
)

// floodLines is how many events of a kind a second get a log line each.
const floodLines = 10

// floodLog keeps what many workers do at once (register, be refused) to
// a few log lines a second, so that a flood of registrations cannot turn
// into a flood of log: the first floodLines events of each second get a
// line each, the rest are counted and logged in one line a second.
type floodLog struct {
	second time.Time
	lines  int
	held   map[string]int // events not logged, by message
}

// allow reports whether an event may have its own line now; if not, it is
// counted under msg for flush.
func (f *floodLog) allow(now time.Time, msg string) bool {
	if now.Sub(f.second) >= time.Second {
		f.second, f.lines = now, 0
	}
	if f.lines < floodLines {
		f.lines++
		return true
	}
	if f.held == nil {
		f.held = make(map[string]int)
	}
	f.held[msg]++
	return false
}

// flush logs the events held back, one line per message.
func (f *floodLog) flush(log *slog.Logger) {
	msgs := make([]string, 0, len(f.held))
	for msg := range f.held {
		msgs = append(msgs, msg)
	}
	slices.Sort(msgs)
	for _, msg := range msgs {
		log.Info(msg, "count", f.held[msg], "note", "too many to log one by one")
	}
	clear(f.held)
}
