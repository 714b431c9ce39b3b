package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/pausetest"
)

// TestPausesInTheOutputs stops this process for 150 ms in the middle of a
// run, as a virtual machine's host can: the summary says the generator
// paused, and the JSON result counts it.
func TestPausesInTheOutputs(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "r.json")
	type outcome struct {
		code     int
		out, err string
	}
	done := make(chan outcome)
	go func() {
		code, out, stderr := runCLI(t, nil, "-u", "2", "-r", "0", "-t", "1s", "--profile", "albums-by-id", "--only-summary", "--json", jsonPath)
		done <- outcome{code, out, stderr}
	}()
	time.Sleep(400 * time.Millisecond)
	pausetest.Pause(t, 150*time.Millisecond)
	o := <-done
	if o.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", o.code, o.out, o.err)
	}
	if !strings.Contains(o.out, "Generator pauses: ") || !strings.Contains(o.out, "of more than 10ms") {
		t.Errorf("the summary does not mention the pause:\n%s", o.out)
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Pauses *struct {
			Count   int64   `json:"count"`
			TotalMs float64 `json:"total_ms"`
			MaxMs   float64 `json:"max_ms"`
		} `json:"generator_pauses"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	// Up to the meter's 50 ms period of the pause falls in its sleep.
	if p := r.Pauses; p == nil || p.Count < 1 || p.MaxMs < 100 || p.TotalMs < p.MaxMs {
		t.Errorf("generator_pauses %+v, want one of 100 to 150 ms", p)
	}
}
