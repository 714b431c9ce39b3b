package web

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestCrossOrigin: a page elsewhere cannot make the user's browser start,
// stop or change a run.
func TestCrossOrigin(t *testing.T) {
	_, ts, fs := newTestServer(t, Config{})
	host := strings.TrimPrefix(ts.URL, "http://")
	tests := []struct {
		name   string
		header map[string]string
		status int
	}{
		{"other origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"other port", map[string]string{"Origin": "http://127.0.0.1:1"}, http.StatusForbidden},
		{"null origin", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site fetch", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://" + host}, http.StatusForbidden},
		{"same origin", map[string]string{"Origin": "http://" + host}, http.StatusOK},
		{"same-origin fetch", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + host}, http.StatusOK},
		{"script without browser headers", nil, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fs.count()
			r := call(t, ts, "POST", "/api/start", `{}`, tt.header)
			wantStatus(t, r, tt.status, "start")
			if tt.status == http.StatusForbidden {
				if fs.count() != before {
					t.Error("a refused request started a run")
				}
				for _, p := range []string{"/api/stop", "/api/reset", "/api/edit"} {
					wantStatus(t, call(t, ts, "POST", p, `{"users":1}`, tt.header), http.StatusForbidden, p)
				}
				return
			}
			wantStatus(t, call(t, ts, "POST", "/api/stop", nil, tt.header), http.StatusOK, "stop")
		})
	}
	// Reading is not refused: browsers keep other origins from reading
	// the answers anyway.
	wantStatus(t, call(t, ts, "GET", "/api/stats", nil, map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}), 200, "cross-origin GET")
}

// TestHostCheck: without credentials, only loopback names are answered,
// which defeats DNS rebinding.
func TestHostCheck(t *testing.T) {
	_, ts, _ := newTestServer(t, Config{})
	for _, tt := range []struct {
		host   string
		status int
	}{
		{"evil.example", http.StatusMisdirectedRequest},
		{"evil.example:8089", http.StatusMisdirectedRequest},
		{"10.0.0.5:8089", http.StatusMisdirectedRequest},
		{"localhost:8089", http.StatusOK},
		{"127.0.0.1", http.StatusOK},
		{"[::1]:8089", http.StatusOK},
	} {
		req, err := http.NewRequest("GET", ts.URL+"/api/stats", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tt.host
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("Host %s: status %d, want %d", tt.host, resp.StatusCode, tt.status)
		}
	}
	_, authed, _ := newTestServer(t, Config{BasicAuth: "u:p"})
	req, _ := http.NewRequest("GET", authed.URL+"/api/stats", nil)
	req.Host = "loadgen.example:8089"
	req.SetBasicAuth("u", "p")
	resp, err := authed.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("with credentials, any Host is served: status %d", resp.StatusCode)
	}
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestAuth(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		auth   string
		status int
	}{
		{"basic: none sent", Config{BasicAuth: "admin:s3cret"}, "", 401},
		{"basic: wrong password", Config{BasicAuth: "admin:s3cret"}, basic("admin", "s3creT"), 401},
		{"basic: wrong user", Config{BasicAuth: "admin:s3cret"}, basic("root", "s3cret"), 401},
		{"basic: prefix of the password", Config{BasicAuth: "admin:s3cret"}, basic("admin", "s3c"), 401},
		{"basic: right", Config{BasicAuth: "admin:s3cret"}, basic("admin", "s3cret"), 200},
		{"basic: bearer instead", Config{BasicAuth: "admin:s3cret"}, "Bearer s3cret", 401},
		{"token: none sent", Config{Token: "tok"}, "", 401},
		{"token: right bearer", Config{Token: "tok"}, "Bearer tok", 200},
		{"token: wrong bearer", Config{Token: "tok"}, "Bearer tik", 401},
		{"token: as basic password", Config{Token: "tok"}, basic("anyone", "tok"), 200},
		{"both: basic", Config{Token: "tok", BasicAuth: "a:b"}, basic("a", "b"), 200},
		{"both: bearer", Config{Token: "tok", BasicAuth: "a:b"}, "Bearer tok", 200},
		{"both: wrong", Config{Token: "tok", BasicAuth: "a:b"}, basic("a", "tok2"), 401},
		{"none configured", Config{}, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts, fs := newTestServer(t, tt.cfg)
			h := map[string]string{}
			if tt.auth != "" {
				h["Authorization"] = tt.auth
			}
			for _, p := range []string{"/", "/static/app.js", "/api/stats", "/download/stats.csv"} {
				r := call(t, ts, "GET", p, nil, h)
				if tt.status == 401 {
					wantStatus(t, r, 401, p)
					if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
						t.Errorf("%s: 401 without a Basic challenge", p)
					}
				} else if r.status == 401 {
					t.Errorf("%s: refused", p)
				}
			}
			r := call(t, ts, "POST", "/api/start", `{}`, h)
			wantStatus(t, r, tt.status, "start")
			if tt.status == 401 && fs.count() != 0 {
				t.Error("an unauthenticated start ran")
			}
		})
	}
}

func TestBadCredentialsConfig(t *testing.T) {
	for _, a := range []string{"nocolon", ":pass", "user:"} {
		if _, err := New(Config{Start: (&fakeStarter{}).start, BasicAuth: a}); err == nil {
			t.Errorf("BasicAuth %q accepted", a)
		}
	}
	if _, err := New(Config{}); err == nil {
		t.Error("a server without a Starter")
	}
}

func TestCheckListen(t *testing.T) {
	tests := []struct {
		addr      string
		protected bool
		ok        bool
	}{
		{"127.0.0.1:8089", false, true},
		{"127.0.0.2:8089", false, true},
		{"localhost:8089", false, true},
		{"[::1]:8089", false, true},
		{"0.0.0.0:8089", false, false},
		{":8089", false, false},
		{"192.168.1.10:8089", false, false},
		{"[::]:8089", false, false},
		{"example.com:8089", false, false},
		{"0.0.0.0:8089", true, true},
		{":8089", true, true},
	}
	for _, tt := range tests {
		err := CheckListen(tt.addr, tt.protected)
		if (err == nil) != tt.ok {
			t.Errorf("CheckListen(%q, %v) = %v, want ok=%v", tt.addr, tt.protected, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrNoAuth) {
			t.Errorf("CheckListen(%q): %v, want ErrNoAuth", tt.addr, err)
		}
	}
	if err := CheckListen("nonsense", true); err == nil || errors.Is(err, ErrNoAuth) {
		t.Errorf("CheckListen of a bad address: %v", err)
	}
}

func TestSecurityHeaders(t *testing.T) {
	_, ts, _ := newTestServer(t, Config{})
	for _, p := range []string{"/", "/api/stats", "/static/app.js"} {
		r := call(t, ts, "GET", p, nil, nil)
		wantStatus(t, r, 200, p)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", p, csp)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", p, r.header)
		}
	}
}
