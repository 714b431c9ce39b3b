package deploy_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// image is what the Dockerfile's final stage makes.
type image struct {
	entrypoint []string        // the program a container runs without another one
	uid, gid   int64           // the numeric user it runs as
	files      map[string]bool // paths the final stage installs
}

// buildImage is the one image the Compose file and the manifests use.
const buildImage = "golang:1.26"

var numericUser = regexp.MustCompile(`^(\d+)(?::(\d+))?$`)

// loadImage reads the Dockerfile and checks what every deployment relies
// on: a static build in a golang stage, and a final stage FROM scratch with
// the binaries, a numeric non-root user and ENTRYPOINT ["/loadgen"].
func loadImage(t *testing.T) image {
	t.Helper()
	text, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages, err := parseDockerfile(string(text))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s); want a build stage and a final stage", len(stages))
	}
	// Nothing to pull but the toolchain: every FROM is the Go image, an
	// earlier stage or scratch, and every COPY --from names a stage.
	names := map[string]bool{}
	for _, st := range stages {
		if st.image != buildImage && st.image != "scratch" && !names[st.image] {
			t.Errorf("Dockerfile:%d: FROM %s: only %s, scratch and earlier stages are allowed, so the build pulls nothing else", st.line, st.image, buildImage)
		}
		for _, in := range st.instrs {
			switch in.cmd {
			case "ADD":
				t.Errorf("Dockerfile:%d: ADD can fetch URLs and unpack archives; use COPY", in.line)
			case "COPY":
				c, err := parseCopy(in.args)
				if err != nil {
					t.Errorf("Dockerfile:%d: %v", in.line, err)
				} else if c.from != "" && !names[c.from] {
					t.Errorf("Dockerfile:%d: COPY --from=%s is not an earlier stage: it would pull an image", in.line, c.from)
				}
			}
		}
		if st.name != "" {
			names[st.name] = true
		}
	}

	build := stages[0]
	if build.image != buildImage || build.name == "" {
		t.Errorf("Dockerfile:%d: the first stage is FROM %s AS %q; want FROM %s AS <name>", build.line, build.image, build.name, buildImage)
	}
	goBuild := ""
	for _, in := range build.instrs {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			goBuild = in.args
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/loadgen", "./cmd/albumsvc"} {
		if !strings.Contains(goBuild, want) {
			t.Errorf("Dockerfile: the build stage's go build (%q) lacks %s", goBuild, want)
		}
	}

	final := stages[len(stages)-1]
	if final.image != "scratch" {
		t.Errorf("Dockerfile:%d: the final stage is FROM %s; want FROM scratch", final.line, final.image)
	}
	img := image{files: map[string]bool{}, uid: -1}
	for _, in := range final.instrs {
		switch in.cmd {
		case "COPY":
			if c, err := parseCopy(in.args); err == nil {
				for _, p := range c.installed() {
					img.files[p] = true
				}
			}
		case "ENTRYPOINT":
			// The exec form: the shell form needs /bin/sh, which scratch lacks.
			if err := json.Unmarshal([]byte(in.args), &img.entrypoint); err != nil {
				t.Errorf("Dockerfile:%d: ENTRYPOINT %s is not the exec form [\"/loadgen\"]: %v", in.line, in.args, err)
			}
		case "USER":
			m := numericUser.FindStringSubmatch(in.args)
			if m == nil {
				t.Errorf("Dockerfile:%d: USER %s: want a numeric uid[:gid] (scratch has no /etc/passwd, and Kubernetes' runAsNonRoot can check only a number)", in.line, in.args)
				continue
			}
			img.uid, _ = strconv.ParseInt(m[1], 10, 64)
			img.gid = img.uid
			if m[2] != "" {
				img.gid, _ = strconv.ParseInt(m[2], 10, 64)
			}
		case "EXPOSE":
			// docker run -P would publish it on every interface.
			if strings.Contains(in.args, "5557") {
				t.Errorf("Dockerfile:%d: EXPOSE %s: never advertise the control port", in.line, in.args)
			}
		}
	}
	if !slices.Equal(img.entrypoint, []string{"/loadgen"}) {
		t.Errorf("Dockerfile: the final ENTRYPOINT is %q; want [\"/loadgen\"]", img.entrypoint)
	}
	if img.uid <= 0 {
		t.Errorf("Dockerfile: the final stage's USER is %d; want a numeric user other than root (0)", img.uid)
	}
	for _, f := range []string{"/loadgen", "/albumsvc"} {
		if !img.files[f] {
			t.Errorf("Dockerfile: the final stage does not install %s (it installs %v)", f, img.files)
		}
	}
	return img
}

func TestDockerfile(t *testing.T) {
	loadImage(t)
}

// ignorePattern turns a .dockerignore pattern into a regular expression
// over slash-separated paths relative to the context: * and ? stay within
// a path element, ** spans any number of them.
func ignorePattern(p string) (*regexp.Regexp, error) {
	p = strings.TrimPrefix(path.Clean(strings.TrimSpace(p)), "/")
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case p[i] == '*':
			b.WriteString("[^/]*")
		case p[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	// A pattern that names a directory leaves out all it holds.
	b.WriteString("(?:/.*)?$")
	return regexp.Compile(b.String())
}

// TestDockerignore checks that the build context keeps every file the
// image's go build reads: go.mod, go.sum, and each source and embedded
// file of the packages loadgen and albumsvc are built from.
func TestDockerignore(t *testing.T) {
	text, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []*regexp.Regexp
	for i, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Errorf("Dockerfile.dockerignore:%d: exceptions (!) are not understood by this test", i+1)
			continue
		}
		re, err := ignorePattern(line)
		if err != nil {
			t.Fatalf("Dockerfile.dockerignore:%d: %v", i+1, err)
		}
		patterns = append(patterns, re)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-f",
		`{{if .Module}}{{if .Module.Main}}{{.Dir}}|{{join .GoFiles ","}},{{join .EmbedFiles ","}}{{end}}{{end}}`,
		"./cmd/loadgen", "./cmd/albumsvc")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	needed := []string{"go.mod", "go.sum"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		dir, files, ok := strings.Cut(line, "|")
		if !ok {
			continue
		}
		rel, err := filepath.Rel(root, dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range strings.Split(files, ",") {
			if f != "" {
				needed = append(needed, path.Join(filepath.ToSlash(rel), f))
			}
		}
	}
	if len(needed) < 20 {
		t.Fatalf("go list named only %d files the build needs: %v", len(needed), needed)
	}
	for _, f := range needed {
		for _, re := range patterns {
			if re.MatchString(f) {
				t.Errorf("Dockerfile.dockerignore leaves %s out of the build context (pattern %s), but the build needs it", f, re)
			}
		}
	}
	// And the patterns do work: the test binaries are left out.
	if !slices.ContainsFunc(patterns, func(re *regexp.Regexp) bool { return re.MatchString("results.test") }) {
		t.Error("Dockerfile.dockerignore does not leave out results.test")
	}
}

func TestIgnorePattern(t *testing.T) {
	tests := []struct {
		pattern, path string
		match         bool
	}{
		{"bin", "bin/loadgen", true},
		{"bin", "binary.go", false},
		{"**/*.test", "results.test", true},
		{"**/*.test", "a/b/c.test", true},
		{"*.go", "a/b.go", false},
		{"results/out", "results/out/x.csv", true},
		{"results/out", "results/report/csv.go", false},
		{"/tmp/", "tmp/x", true},
		{"?.md", "a.md", true},
	}
	for _, tt := range tests {
		re, err := ignorePattern(tt.pattern)
		if err != nil || re.MatchString(tt.path) != tt.match {
			t.Errorf("pattern %q on %q: match %v (%v), want %v", tt.pattern, tt.path, err == nil && re.MatchString(tt.path), err, tt.match)
		}
	}
}
