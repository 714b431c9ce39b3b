// Package deploy_test checks the deployment files (Dockerfile, Compose
// file, Kubernetes manifests and the README's commands) against the
// programs they run: structure and wiring here and in the other files,
// and above all that every flag and setting they pass exists.
package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// allInvocations collects every command line of the deploy files: each
// Compose service, each container of each manifest, and each loadgen or
// albumsvc command in README.md.
func allInvocations(t *testing.T) (compose, k8s, readme []invocation) {
	t.Helper()
	img := loadImage(t)
	var err error
	compose, err = composeInvocations(loadCompose(t), img, map[string]string{"LOADGEN_TOKEN": "t"})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(k8sDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		docs, err := loadManifest(path)
		if err != nil {
			return err
		}
		ws, err := workloads(docs, img)
		for _, w := range ws {
			k8s = append(k8s, w.inv)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if readme, err = readmeInvocations("README.md", string(text)); err != nil {
		t.Fatal(err)
	}
	return compose, k8s, readme
}

// TestFlagsExist is the check that matters most: a deploy file that
// passes a flag the binary does not have fails only when someone deploys
// it. Every flag and LOADGEN_/ALBUMSVC_ variable must be in the --help of
// the real binary and subcommand that gets it, and the Compose and
// Kubernetes command lines must pass the binary's own parser.
func TestFlagsExist(t *testing.T) {
	compose, k8s, readme := allInvocations(t)
	// At least what the files are known to hold, so that a parsing slip
	// cannot turn this test into one that checks nothing.
	for _, c := range []struct {
		what     string
		got, min int
	}{{"Compose services", len(compose), 3}, {"Kubernetes containers", len(k8s), 4}, {"README commands", len(readme), 3}} {
		if c.got < c.min {
			t.Fatalf("found %d %s, want at least %d", c.got, c.what, c.min)
		}
	}
	bins := buildBinaries(t)
	t.Run("help", func(t *testing.T) { checkBinaryHelp(t, bins) })
	for _, group := range []struct {
		invs  []invocation
		parse bool // values are literal (the README's may be shell expansions)
	}{{compose, true}, {k8s, true}, {readme, false}} {
		for _, inv := range group.invs {
			t.Run(inv.where, func(t *testing.T) {
				key, args := inv.command()
				fs, err := bins.flags(t, key)
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range checkArgs(fs, args) {
					t.Errorf("%s: %s %s: %s", inv.where, key, strings.Join(args, " "), p)
				}
				for _, p := range checkEnv(inv.program, fs, inv.env) {
					t.Errorf("%s: %s", inv.where, p)
				}
				if group.parse {
					if err := bins.parse(t, inv); err != nil {
						t.Errorf("%s: %v", inv.where, err)
					}
				}
			})
		}
	}
}

// checkBinaryHelp pins what the checks rely on: the subcommands' --help
// lists their flags in a form parseHelp reads, including the flags
// deployments cannot do without, and the parser run rejects a wrong flag
// and a wrong value.
func checkBinaryHelp(t *testing.T, bins *binaries) {
	for key, want := range map[string][]string{
		"loadgen coordinator": {"listen", "token", "expect-workers", "host", "csv", "json"},
		"loadgen worker":      {"coordinator", "token", "connect-timeout"},
		"albumsvc":            {"addr", "store"},
	} {
		fs, err := bins.flags(t, key)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range want {
			if _, ok := fs.long[name]; !ok {
				t.Errorf("%s --help does not list --%s", key, name)
			}
		}
	}
	for _, args := range [][]string{
		{"worker", "--coordinater=http://x:1"},
		{"worker", "--connect-timeout=soon"},
		{"coordinator", "--users", "fifty"},
	} {
		if err := bins.parse(t, invocation{program: "loadgen", args: args}); err == nil {
			t.Errorf("loadgen %s --help passed the parser", strings.Join(args, " "))
		}
	}
}
