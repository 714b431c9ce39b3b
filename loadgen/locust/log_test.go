package locust

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/locusttest"
)

// TestClassCountsAsLocust formats user counts with Locust's own function
// and compares.
func TestClassCountsAsLocust(t *testing.T) {
	cases := []map[string]int{
		{"albums": 50},
		{"Zeta": 1, "albums": 3, "Browse": 0},
		{"é\"\\\n\x7f": 2, "😀": 3, "tab\there": 1},
		{},
	}
	py := locusttest.Python(t, "locust")
	const script = `
import json, sys
from locust.runners import _format_user_classes_count_for_log
print(json.dumps([_format_user_classes_count_for_log(c) for c in json.load(sys.stdin)]))
`
	in, _ := json.Marshal(cases)
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running Locust's formatter: %v\n%s", err, stderr.Bytes())
	}
	var want []string
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("reading %q: %v", out, err)
	}
	for i, c := range cases {
		if got := classCounts(c); got != want[i] {
			t.Errorf("%v:\n got %s\nwant %s", c, got, want[i])
		}
	}
}

func TestLogLines(t *testing.T) {
	tests := map[string]string{
		Ramping(50, 10):                      "Ramping to 50 users at a rate of 10.00 per second",
		Ramping(3, 0.5):                      "Ramping to 3 users at a rate of 0.50 per second",
		AllSpawned(map[string]int{"a": 2}):   `All users spawned: {"a": 2} (2 total users)`,
		RunTimeSet(90 * time.Second):         "Run time limit set to 90 seconds",
		ShuttingDown(3):                      "Shutting down (exit code 3)",
		StartingWeb("http://127.0.0.1:8089"): "Starting web interface at http://127.0.0.1:8089",
		WaitingForWorkers(1, 4):              "Waiting for workers to be ready, 1 of 4 connected",
	}
	for got, want := range tests {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if !strings.HasPrefix(RunTimeReached, "--run-time") {
		t.Errorf("RunTimeReached %q", RunTimeReached)
	}
}
