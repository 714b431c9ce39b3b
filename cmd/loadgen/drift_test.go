package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// These tests pin behaviours in which front ends or modes used to differ:
// the same run, described once, must mean the same whatever runs it.

// TestDistributedPacedRunRecordsCorrectedSeries: a paced closed-model run
// on workers keeps the coordinated-omission corrected series, as a run in
// one process does.
func TestDistributedPacedRunRecordsCorrectedSeries(t *testing.T) {
	for _, workers := range []string{"0", "2"} {
		t.Run("workers="+workers, func(t *testing.T) {
			jsonPath := filepath.Join(t.TempDir(), "paced.json")
			code, out, stderr := runCLI(t, nil, "--workers", workers, "-u", "4", "-r", "0", "-t", "2s", "--wait", "pacing:100ms",
				"--profile", "albums-by-id", "--only-summary", "--json", jsonPath)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
			}
			rep := readReport(t, jsonPath)
			if rep.Aggregated.Count == 0 || rep.Aggregated.Corrected == nil {
				t.Errorf("%d requests, corrected series %v: want the series a paced run records", rep.Aggregated.Count, rep.Aggregated.Corrected)
			}
		})
	}
}

// TestUnknownProfileListsTheBuiltins: a mistyped built-in profile name
// gets the list of built-in profiles, not a bare "no such file".
func TestUnknownProfileListsTheBuiltins(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "--profile", "albumz")
	if code != exitUsage || !strings.Contains(stderr, `"albumz" is neither a built-in profile (albums, albums-by-id, smoke`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
