package web

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
)

// DefaultLogLines is the size of a LogRing made with a size of zero.
const DefaultLogLines = 500

// LogRing keeps the latest log lines of a program for the Logs tab. Its
// Handler formats records as slog's text handler does; combine it with the
// program's own handler (slog.NewMultiHandler) to log to both. Memory stays
// bounded: once full, each new line replaces the oldest.
type LogRing struct {
	h slog.Handler

	mu    sync.Mutex
	lines []LogLine
	next  int    // where the next line goes once full
	seq   uint64 // lines ever written
}

// LogLine is one formatted record.
type LogLine struct {
	// Seq numbers the program's lines from 1, so a reader can ask only for
	// new ones.
	Seq  uint64 `json:"seq"`
	Text string `json:"text"`
}

// NewLogRing returns a ring of size lines (DefaultLogLines when size is
// zero or less) whose handler keeps records at level or above.
func NewLogRing(size int, level slog.Leveler) *LogRing {
	if size <= 0 {
		size = DefaultLogLines
	}
	r := &LogRing{lines: make([]LogLine, 0, size)}
	r.h = slog.NewTextHandler(ringWriter{r}, &slog.HandlerOptions{Level: level})
	return r
}

// Handler is the slog handler that writes into the ring.
func (r *LogRing) Handler() slog.Handler { return r.h }

// ringWriter takes the text handler's output: one record per Write.
type ringWriter struct{ r *LogRing }

func (w ringWriter) Write(p []byte) (int, error) {
	w.r.add(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func (r *LogRing) add(text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	line := LogLine{Seq: r.seq, Text: text}
	if len(r.lines) < cap(r.lines) {
		r.lines = append(r.lines, line)
		return
	}
	r.lines[r.next] = line
	r.next = (r.next + 1) % len(r.lines)
}

// Lines returns the kept lines with a Seq above after, oldest first.
func (r *LogRing) Lines(after uint64) []LogLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]LogLine, 0, len(r.lines))
	for i := range r.lines {
		l := r.lines[(r.next+i)%len(r.lines)]
		if l.Seq > after {
			out = append(out, l)
		}
	}
	return out
}

// Logs is GET /api/logs.
type Logs struct {
	Lines []LogLine `json:"lines"`
}

func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	var after uint64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "after "+strconv.Quote(v)+": want a line number")
			return
		}
		after = n
	}
	out := Logs{Lines: []LogLine{}}
	if s.cfg.Logs != nil {
		out.Lines = s.cfg.Logs.Lines(after)
	}
	writeJSON(w, http.StatusOK, out)
}
