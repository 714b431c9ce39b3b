package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/loadgen/loadgen/internal/netaddr"
)

// ErrNoAuth is returned by CheckListen for an address other machines can
// reach when no credentials protect it.
var ErrNoAuth = errors.New("a web UI reachable from other machines needs credentials (user:pass or a token)")

// CheckListen refuses to serve the UI on an address other machines can
// reach without credentials: the UI starts load tests against any host,
// so an open one lends its machine to whoever finds it. Loopback addresses
// (127.0.0.0/8, ::1, localhost) are fine without.
func CheckListen(addr string, protected bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("web UI address %q: %w", addr, err)
	}
	if protected || netaddr.LoopbackHost(host) {
		return nil
	}
	return ErrNoAuth
}

// credentials are the UI's optional authentication.
type credentials struct {
	// user and pass hash the configured user:pass, so that comparing
	// takes the same time whatever the length of what was sent.
	user, pass [32]byte
	basic      bool
	token      [32]byte
	hasToken   bool
}

func newCredentials(basic, token string) (credentials, error) {
	var c credentials
	if basic != "" {
		u, p, ok := strings.Cut(basic, ":")
		if !ok || u == "" || p == "" {
			return c, errors.New("web auth: want user:pass, both non-empty")
		}
		c.user, c.pass, c.basic = sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p)), true
	}
	if token != "" {
		c.token, c.hasToken = sha256.Sum256([]byte(token)), true
	}
	return c, nil
}

func (c credentials) required() bool { return c.basic || c.hasToken }

// allow checks a request's Authorization: HTTP basic with the configured
// user and password, or a bearer token. With a token, basic auth with any
// user and the token as password works too, so a browser can log in.
func (c credentials) allow(r *http.Request) bool {
	if !c.required() {
		return true
	}
	if h := r.Header.Get("Authorization"); c.hasToken && len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		sum := sha256.Sum256([]byte(h[7:]))
		return subtle.ConstantTimeCompare(sum[:], c.token[:]) == 1
	}
	u, p, ok := r.BasicAuth()
	if !ok {
		return false
	}
	us, ps := sha256.Sum256([]byte(u)), sha256.Sum256([]byte(p))
	okBasic := c.basic && subtle.ConstantTimeCompare(us[:], c.user[:])&subtle.ConstantTimeCompare(ps[:], c.pass[:]) == 1
	okToken := c.hasToken && subtle.ConstantTimeCompare(ps[:], c.token[:]) == 1
	return okBasic || okToken
}

// guard applies the UI's protections in front of every handler:
//
//   - security headers on every answer;
//   - without credentials, the Host header must name this machine, so a
//     page elsewhere cannot reach the UI through DNS rebinding;
//   - with credentials, every request must carry them;
//   - POSTs from another origin are refused (Sec-Fetch-Site, then Origin
//     against Host), so a page elsewhere cannot start a load test through
//     the user's browser.
func guard(c credentials, next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused: state-changing requests must come from the UI's own page")
	}))
	protected := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		if !c.required() {
			if !netaddr.LoopbackHostHeader(r.Host) {
				writeError(w, http.StatusMisdirectedRequest, fmt.Sprintf("host %q refused: this UI answers loopback names only (start it with --web-auth to serve other names)", r.Host))
				return
			}
		}
		if !c.allow(r) {
			h.Set("WWW-Authenticate", `Basic realm="loadgen", charset="UTF-8"`)
			writeError(w, http.StatusUnauthorized, "authentication required")
			return
		}
		protected.ServeHTTP(w, r)
	})
}

// RequireAuth serves next only to requests that carry the credentials,
// HTTP basic auth as user:pass or the token as a bearer token (or as a
// basic-auth password), compared as the UI compares them; with neither
// configured, it serves every request. Other listeners that share the
// UI's credentials, such as a metrics endpoint, use it.
func RequireAuth(basicAuth, token string, next http.Handler) (http.Handler, error) {
	c, err := newCredentials(basicAuth, token)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.allow(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="loadgen", charset="UTF-8"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}
