package profiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples keeps every example profile of the porting guide valid:
// each parses, loads its data and compiles. Running them against a target
// is the job of the run tests.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Compile(p); err != nil {
				t.Fatal(err)
			}
			text, _ := os.ReadFile(f)
			if !strings.HasPrefix(string(text), "# ") {
				t.Error("an example starts with a comment saying which Locust pattern it ports")
			}
		})
	}
}
