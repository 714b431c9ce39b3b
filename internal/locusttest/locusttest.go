// Package locusttest finds real Locust for the tests that hold loadgen to
// it: Debian's python3-locust, which .ci/run installs. In CI a missing
// Locust fails the test that needs it; elsewhere the test is skipped with
// the reason.
package locusttest

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Python returns an interpreter that can import every module named
// (locust, configargparse, ...). Debian's /usr/bin/python3 comes first:
// a python3 earlier on PATH (a virtualenv, pyenv) usually lacks Debian's
// packages.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	var candidates []string
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		candidates = append(candidates, "/usr/bin/python3")
	}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	imports := "pass"
	if len(modules) > 0 {
		imports = "import " + strings.Join(modules, ", ")
	}
	for _, py := range candidates {
		if exec.Command(py, "-c", imports).Run() == nil {
			return py
		}
	}
	msg := "no python3 that can run " + strconv.Quote(imports) + " (Debian's python3-locust and python3-geventhttpclient provide them)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg + ": CI must install them")
	}
	t.Skip(msg)
	return ""
}

// Locust returns a command that runs real Locust with args.
func Locust(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	py := Python(t, "locust", "geventhttpclient")
	return exec.Command(py, append([]string{"-m", "locust"}, args...)...)
}
