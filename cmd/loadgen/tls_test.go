package main

import (
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestCACert: --ca-cert FILE makes both clients, and the workers of a
// distributed run, trust an HTTPS target's private certificate; without
// it every request fails verification.
func TestCACert(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "[]")
	}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"system roots", nil, exitFailures},
		{"fasthttp", []string{"--ca-cert", ca}, exitOK},
		{"nethttp", []string{"--ca-cert", ca, "--client", "nethttp"}, exitOK},
		{"workers", []string{"--ca-cert", ca, "--workers", "2"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jsonPath := filepath.Join(t.TempDir(), "r.json")
			code, out, stderr := runCLI(t, nil, append(tc.args, "-H", srv.URL, "--profile", "albums-by-id", "-u", "2", "-r", "0", "-t", "1500ms", "--only-summary", "--json", jsonPath)...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.want, out, stderr)
			}
			if rep := readReport(t, jsonPath); rep.Aggregated.Count == 0 {
				t.Error("no request completed")
			}
		})
	}
}
