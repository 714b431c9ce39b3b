package threshold

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestReadmeErrors checks that the error messages the README shows are the
// ones Parse gives.
func TestReadmeErrors(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, `threshold "`) {
			continue
		}
		quoted, err := strconv.QuotedPrefix(strings.TrimPrefix(line, "threshold "))
		if err != nil {
			t.Fatalf("README line %q: %v", line, err)
		}
		expr, _ := strconv.Unquote(quoted)
		_, err = Parse(expr)
		if err == nil || err.Error() != line {
			t.Errorf("README shows\n%s\nParse gives\n%v", line, err)
		}
		checked++
	}
	if checked < 4 {
		t.Errorf("found %d error examples in README.md, want at least 4", checked)
	}
}
