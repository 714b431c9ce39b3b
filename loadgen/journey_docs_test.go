package loadgen

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPortingGuideShowsTestedCode holds docs/locust.md to the files the
// tests run: each profile it shows is the example file it names, byte for
// byte, and each Go snippet is part of the runnable example it names.
func TestPortingGuideShowsTestedCode(t *testing.T) {
	doc, err := os.ReadFile("../docs/locust.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)<!-- ([^ :]+)(?:: (\\w+))? -->\n```(yaml|go)\n(.*?)```")
	found := map[string]int{}
	for _, m := range block.FindAllStringSubmatch(string(doc), -1) {
		path, example, lang, text := m[1], m[2], m[3], m[4]
		found[lang]++
		file, err := os.ReadFile("../" + path)
		if err != nil {
			t.Errorf("the guide shows %s, which cannot be read: %v", path, err)
			continue
		}
		switch lang {
		case "yaml":
			if string(file) != text {
				t.Errorf("the guide's copy of %s differs from the file", path)
			}
		case "go":
			if !strings.Contains(string(file), "func "+example+"()") {
				t.Errorf("%s has no %s", path, example)
			}
			if !strings.Contains(untab(string(file)), untab(text)) {
				t.Errorf("the guide's Go snippet for %s is not in %s:\n%s", example, path, text)
			}
		}
	}
	if found["yaml"] < 8 || found["go"] < 4 {
		t.Errorf("the guide shows %d profiles and %d Go snippets, want every example", found["yaml"], found["go"])
	}
}

// untab drops each line's leading tabs, so that a snippet shown at the
// left margin matches the same code inside a function.
func untab(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, "\t")
	}
	return strings.Join(lines, "\n")
}
