package profiles

import (
	"os"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/profiles/dataset"
)

// TestReadmeExample keeps the documented example a valid profile.
func TestReadmeExample(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	if !ok {
		t.Fatal("README.md has no yaml example")
	}
	example, _, _ := strings.Cut(rest, "```")
	p, err := Parse("README.md", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(p); err != nil {
		t.Fatal(err)
	}
	if n := len(p.Classes[0].Tasks); n != 2 || len(p.Thresholds) != 2 {
		t.Errorf("example has %d tasks and %d thresholds, want 2 and 2", n, len(p.Thresholds))
	}
}

// TestReadmeRunSettings keeps the documented run settings valid.
func TestReadmeRunSettings(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Run settings")
	if !ok {
		t.Fatal("README.md has no run settings section")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, _ := strings.Cut(rest, "```")
	p, err := Parse("README.md", []byte(example+"tasks: [{path: /}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Settings; s.Rate != 200 || s.Arrival != "poisson" || s.Seed != 42 || !s.AbortOnThreshold {
		t.Errorf("settings %+v", s)
	}
}

// TestReadmeJourney keeps the README's journey example a valid profile.
func TestReadmeJourney(t *testing.T) {
	doc, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Journeys")
	if !ok {
		t.Fatal("README.md has no Journeys section")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, _ := strings.Cut(rest, "```")
	p, err := Parse("README.md", []byte(example))
	if err != nil {
		t.Fatal(err)
	}
	p.Classes[0].Data.Table = &dataset.Table{Columns: []string{"username", "password"}, Rows: [][]string{{"a", "b"}}}
	if _, err := Compile(p); err != nil {
		t.Fatal(err)
	}
	if len(p.Classes) != 2 || len(p.Stages) != 3 || p.Classes[1].Cookies {
		t.Errorf("classes %d, stages %d", len(p.Classes), len(p.Stages))
	}
}
