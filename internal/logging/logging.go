// Package logging is how loadgen's programs name and make log levels:
// Locust's level names on the command line, slog underneath.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Levels lists the names ParseLevel takes, for messages.
const Levels = "DEBUG, INFO, WARNING or ERROR"

// ParseLevel reads a level as --loglevel takes it, in any case: DEBUG,
// INFO, WARNING (or WARN), ERROR (or Locust's CRITICAL).
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR", "CRITICAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q: want %s", s, Levels)
}

// Name is a level as ParseLevel reads it back, for a child process's
// command line.
func Name(l slog.Level) string {
	switch {
	case l <= slog.LevelDebug:
		return "DEBUG"
	case l <= slog.LevelInfo:
		return "INFO"
	case l <= slog.LevelWarn:
		return "WARNING"
	}
	return "ERROR"
}

// New is a text logger to w at level.
func New(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Quiet is the level for the parts of a run whose routine messages would
// only clutter its output (the embedded album service, worker processes
// started by the run): warnings and errors, unless DEBUG was asked for.
func Quiet(level slog.Level) slog.Level {
	if level <= slog.LevelDebug {
		return level
	}
	return max(level, slog.LevelWarn)
}

// Open is a program's logger: to stderr at level or, with a file path, to
// that file at level (appended to, as Locust's --logfile is) and to
// stderr for warnings and errors, which must not go unseen. Close the
// file with the function returned.
func Open(stderr io.Writer, path string, level slog.Level) (*slog.Logger, func() error, error) {
	if path == "" {
		return New(stderr, level), func() error { return nil }, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--logfile: %w", err)
	}
	file := slog.NewTextHandler(f, &slog.HandlerOptions{Level: level})
	tty := slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: max(level, slog.LevelWarn)})
	return slog.New(slog.NewMultiHandler(file, tty)), f.Close, nil
}
