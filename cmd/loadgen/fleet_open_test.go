package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenModelOnWorkers runs --rate 200 for 2 s on two worker processes:
// the fleet sends the 400 requests of the schedule, 200 from each worker,
// and the output and the JSON have the merged dispatcher counts.
func TestOpenModelOnWorkers(t *testing.T) {
	jsonPath := filepath.Join(t.TempDir(), "open.json")
	code, out, stderr := runCLI(t, nil, "--workers", "2", "--rate", "200", "-t", "2s", "--profile", "albums-by-id", "--only-summary", "--json", jsonPath)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "Open model: 400 scheduled") || !strings.Contains(out, "Scheduled") {
		t.Errorf("output lacks the fleet's open-model counts or the workers' columns:\n%s", out)
	}
	rep := readReport(t, jsonPath)
	var cfg struct {
		Rate    string
		Workers int
		Open    struct{ Scheduled, Sent, Dropped, MaxInFlight uint64 } `json:"open_model"`
	}
	if err := json.Unmarshal(rep.Config, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Rate != "200/s" || cfg.Workers != 2 || cfg.Open.Scheduled != 400 || cfg.Open.Sent+cfg.Open.Dropped != 400 || cfg.Open.Sent < 398 {
		t.Errorf("config %+v, want the 400 requests of the schedule from 2 workers", cfg)
	}
	if cfg.Open.MaxInFlight != 20000 {
		t.Errorf("in-flight cap %d, want the default 10000 for each of the 2 workers", cfg.Open.MaxInFlight)
	}
	if rep.Aggregated.Count != int64(cfg.Open.Sent) {
		t.Errorf("%d requests recorded, %d sent", rep.Aggregated.Count, cfg.Open.Sent)
	}
	var doc struct {
		Workers []struct {
			Requests int64
			Open     *struct{ Scheduled uint64 } `json:"open_model"`
		}
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Workers) != 2 {
		t.Fatalf("%d worker rows, want 2", len(doc.Workers))
	}
	for i, w := range doc.Workers {
		if w.Open == nil || w.Open.Scheduled != 200 || w.Requests < 199 {
			t.Errorf("worker %d: %d requests, counts %+v; want its half, 200", i, w.Requests, w.Open)
		}
	}
}
