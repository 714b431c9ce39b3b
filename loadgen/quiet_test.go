package loadgen

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestQuietHoldsThroughWith: the embedded album service logs through
// With("component", ...), and its routine lines must stay out of a run's
// output at INFO, while its warnings still show.
func TestQuietHoldsThroughWith(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var b bytes.Buffer
		inner := slog.NewTextHandler(&b, &slog.HandlerOptions{Level: level})
		log := slog.New(quiet{inner}).With("component", "albumsvc").WithGroup("g")
		log.Info("album service ready")
		log.Warn("journal slow")
		out := b.String()
		if got, want := strings.Contains(out, "album service ready"), level == slog.LevelDebug; got != want {
			t.Errorf("at %v: the routine line shown %v, want %v:\n%s", level, got, want, out)
		}
		if !strings.Contains(out, "journal slow") || !strings.Contains(out, "component=albumsvc") {
			t.Errorf("at %v: the warning, with its component, is missing:\n%s", level, out)
		}
	}
}
