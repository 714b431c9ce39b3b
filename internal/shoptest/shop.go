// Package shoptest is a test target for user journeys: a small shop that
// needs what a locustfile arranges for its users. A login returns a token
// and sets a session cookie; the item list needs the token, an item needs
// the cookie and an id that the list gave this very user; reviews need
// the token. It records what each user did, so that a test can check that
// a run made the target see what a Locust run would: a login per user,
// the cookie on every later request, ids taken from responses in order.
package shoptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Password is the password the shop accepts for a user name.
func Password(user string) string { return "pw-" + user }

// Shop is a running test shop.
type Shop struct {
	URL string

	srv *httptest.Server
	mu  sync.Mutex
	// by token and by session cookie value: the user name
	tokens   map[string]string
	sessions map[string]string
	users    map[string]*Account
	seq      int
	// adminKey is what GET /admin/stats wants in X-Admin-Key.
	adminKey string
	refusedN int
	reasons  map[string]int
	adminN   int
	searchN  int
}

// Account is what one user did at the shop.
type Account struct {
	Logins, Logouts int
	// Requests counts the requests that carried the user's session
	// cookie or token, login excluded.
	Requests int
	// Listed counts item lists; Fetched the item fetches with an id the
	// user's last list offered; Reviews the reviews posted.
	Listed, Fetched, Reviews int
	// Offered is the ids of the user's last list.
	Offered []int
	// Order is the user's requests after login, as "METHOD /path".
	Order []string
}

// Stats is a copy of what the shop saw.
type Stats struct {
	Accounts map[string]Account
	// Refused counts requests turned away: no or a wrong token or cookie,
	// an id the user was never offered, bad credentials.
	Refused int
	// Reasons counts the refusals by reason.
	Reasons map[string]int
	// Admin counts admin requests; Searches the searches.
	Admin, Searches int
}

// New starts a shop on a free loopback port and stops it when the test
// ends.
func New(tb testing.TB) *Shop {
	s := Start()
	tb.Cleanup(s.Close)
	return s
}

// Start starts a shop on a free loopback port; Close stops it. For
// runnable examples, which have no testing.TB.
func Start() *Shop {
	s := &Shop{tokens: map[string]string{}, sessions: map[string]string{}, users: map[string]*Account{}, adminKey: "k-admin"}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the shop.
func (s *Shop) Close() { s.srv.Close() }

// AdminKey is the key GET /admin/stats wants in X-Admin-Key.
func (s *Shop) AdminKey() string { return s.adminKey }

// Stats copies what the shop saw so far.
func (s *Shop) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Stats{Accounts: map[string]Account{}, Refused: s.refusedN, Reasons: map[string]int{}, Admin: s.adminN, Searches: s.searchN}
	for k, v := range s.reasons {
		out.Reasons[k] = v
	}
	for name, a := range s.users {
		c := *a
		c.Offered = append([]int(nil), a.Offered...)
		c.Order = append([]string(nil), a.Order...)
		out.Accounts[name] = c
	}
	return out
}

func (s *Shop) refuse(w http.ResponseWriter, status int, reason string) {
	s.refusedN++
	if s.reasons == nil {
		s.reasons = map[string]int{}
	}
	s.reasons[reason]++
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":%q}`, reason)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// itemsFor gives each user its own ids, so that an id can only have come
// from that user's list: 5 ids from 100 up, shifted by the user's name.
func itemsFor(user string, n int) []int {
	h := 0
	for _, c := range user {
		h = h*31 + int(c)
	}
	if h < 0 {
		h = -h
	}
	base := 100 + (h%50)*10 + n%3
	return []int{base, base + 1, base + 2, base + 3, base + 4}
}

func (s *Shop) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := r.URL.Path
	switch {
	case path == "/login" && r.Method == http.MethodPost:
		s.login(w, r)
		return
	case path == "/search":
		s.searchN++
		q := r.URL.Query().Get("q")
		if q == "" {
			writeJSON(w, http.StatusOK, map[string]any{"error": "empty query", "results": []int{}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"q": q, "results": []int{1, 2}})
		return
	case path == "/admin/stats":
		if r.Header.Get("X-Admin-Key") != s.adminKey {
			s.refuse(w, http.StatusForbidden, "admin key")
			return
		}
		s.adminN++
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "users": len(s.users)})
		return
	case path == "/slow":
		d, _ := time.ParseDuration(r.URL.Query().Get("d"))
		s.mu.Unlock()
		time.Sleep(min(d, 5*time.Second))
		s.mu.Lock()
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
		return
	}
	// Everything else belongs to a logged-in user.
	byToken, byCookie := "", ""
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		byToken = s.tokens[tok]
	}
	if c, err := r.Cookie("session"); err == nil {
		byCookie = s.sessions[c.Value]
	}
	user := byToken
	if user == "" {
		user = byCookie
	}
	if user == "" {
		s.refuse(w, http.StatusUnauthorized, "not logged in")
		return
	}
	a := s.users[user]
	a.Requests++
	a.Order = append(a.Order, r.Method+" "+path)
	switch {
	case path == "/items" && r.Method == http.MethodGet:
		if byToken == "" {
			s.refuse(w, http.StatusUnauthorized, "items need the token")
			return
		}
		a.Listed++
		a.Offered = itemsFor(user, a.Listed)
		items := make([]map[string]any, len(a.Offered))
		for i, id := range a.Offered {
			items[i] = map[string]any{"id": id, "name": fmt.Sprintf("item %d", id)}
		}
		writeJSON(w, http.StatusOK, map[string]any{"items": items})
	case strings.HasPrefix(path, "/items/") && strings.HasSuffix(path, "/reviews") && r.Method == http.MethodPost:
		id, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path, "/items/"), "/reviews"))
		var review struct {
			Stars int `json:"stars"`
		}
		switch {
		case byToken == "":
			s.refuse(w, http.StatusUnauthorized, "reviews need the token")
		case !offered(a, id):
			s.refuse(w, http.StatusNotFound, "id not offered")
		case json.NewDecoder(r.Body).Decode(&review) != nil || review.Stars < 1 || review.Stars > 5:
			s.refuse(w, http.StatusBadRequest, "bad review")
		default:
			a.Reviews++
			writeJSON(w, http.StatusCreated, map[string]any{"id": id, "stars": review.Stars})
		}
	case strings.HasPrefix(path, "/items/") && r.Method == http.MethodGet:
		id, _ := strconv.Atoi(strings.TrimPrefix(path, "/items/"))
		switch {
		case byCookie == "":
			s.refuse(w, http.StatusUnauthorized, "items need the session cookie")
		case !offered(a, id):
			s.refuse(w, http.StatusNotFound, "id not offered")
		default:
			a.Fetched++
			writeJSON(w, http.StatusOK, map[string]any{"id": id, "name": fmt.Sprintf("item %d", id)})
		}
	case path == "/account":
		http.Redirect(w, r, "/account/home", http.StatusFound)
	case path == "/account/home":
		if byCookie == "" {
			s.refuse(w, http.StatusUnauthorized, "account needs the session cookie")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"user": user})
	case path == "/logout" && r.Method == http.MethodPost:
		a.Logouts++
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "", Path: "/", MaxAge: -1})
		w.WriteHeader(http.StatusNoContent)
	default:
		s.refuse(w, http.StatusNotFound, "no such page")
	}
}

func offered(a *Account, id int) bool {
	for _, x := range a.Offered {
		if x == id {
			return true
		}
	}
	return false
}

func (s *Shop) login(w http.ResponseWriter, r *http.Request) {
	var cred struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&cred); err != nil {
			s.refuse(w, http.StatusBadRequest, "bad login body")
			return
		}
	} else {
		cred.Username, cred.Password = r.FormValue("username"), r.FormValue("password")
	}
	if cred.Username == "" || cred.Password != Password(cred.Username) {
		s.refuse(w, http.StatusUnauthorized, "bad credentials")
		return
	}
	a := s.users[cred.Username]
	if a == nil {
		a = &Account{}
		s.users[cred.Username] = a
	}
	a.Logins++
	s.seq++
	token := fmt.Sprintf("tok-%d", s.seq)
	sid := fmt.Sprintf("sid-%d", s.seq)
	s.tokens[token] = cred.Username
	s.sessions[sid] = cred.Username
	http.SetCookie(w, &http.Cookie{Name: "session", Value: sid, Path: "/", HttpOnly: true})
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "user": cred.Username})
}
