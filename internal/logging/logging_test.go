package logging

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestParseLevel(t *testing.T) {
	for s, want := range map[string]slog.Level{
		"DEBUG": slog.LevelDebug, "info": slog.LevelInfo, "Warning": slog.LevelWarn, "WARN": slog.LevelWarn,
		"ERROR": slog.LevelError, "critical": slog.LevelError,
	} {
		got, err := ParseLevel(s)
		if err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", s, got, err, want)
		}
		if back, _ := ParseLevel(Name(got)); back != got {
			t.Errorf("Name(%v) = %q reads back as %v", got, Name(got), back)
		}
	}
	if _, err := ParseLevel("LOUD"); err == nil || !strings.Contains(err.Error(), Levels) {
		t.Errorf("LOUD: %v", err)
	}
}

func TestQuietAndNew(t *testing.T) {
	if Quiet(slog.LevelInfo) != slog.LevelWarn || Quiet(slog.LevelDebug) != slog.LevelDebug || Quiet(slog.LevelError) != slog.LevelError {
		t.Error("Quiet")
	}
	var b bytes.Buffer
	l := New(&b, slog.LevelWarn)
	l.Info("hidden")
	l.Warn("shown")
	if strings.Contains(b.String(), "hidden") || !strings.Contains(b.String(), "shown") {
		t.Errorf("log %q", b.String())
	}
}
