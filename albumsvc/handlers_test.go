package albumsvc

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func newTestService(t testing.TB, cfg Config) *Service {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

type response struct {
	status int
	header http.Header
	body   string
}

func serve(t testing.TB, h http.Handler, method, path, contentType, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

const jsonCT = "application/json"

func TestHandlers(t *testing.T) {
	big := `{"title":"` + strings.Repeat("x", maxBodyBytes) + `","artist":"a","price":1}`
	tests := []struct {
		name         string
		method       string
		path         string
		contentType  string
		body         string
		wantStatus   int
		wantBody     string // exact JSON, when set
		wantError    string // substring of the "error" field, when set
		wantAllow    string
		wantLocation string
		wantStored   int // albums in the store afterwards (3 are preloaded)
	}{
		// Reads.
		{name: "health", method: "GET", path: "/healthz", wantStatus: 200, wantBody: `{"status":"ok","albums":3}`},
		{name: "list all", method: "GET", path: "/albums", wantStatus: 200,
			wantBody: `[{"id":1,"title":"Blue Train","artist":"John Coltrane","price":56.99},` +
				`{"id":2,"title":"Jeru","artist":"Gerry Mulligan","price":17.99},` +
				`{"id":3,"title":"Sarah Vaughan and Clifford Brown","artist":"Sarah Vaughan","price":39.99}]`},
		{name: "list limit", method: "GET", path: "/albums?limit=1", wantStatus: 200,
			wantBody: `[{"id":1,"title":"Blue Train","artist":"John Coltrane","price":56.99}]`},
		{name: "list offset", method: "GET", path: "/albums?offset=2", wantStatus: 200,
			wantBody: `[{"id":3,"title":"Sarah Vaughan and Clifford Brown","artist":"Sarah Vaughan","price":39.99}]`},
		{name: "list page", method: "GET", path: "/albums?limit=1&offset=1", wantStatus: 200,
			wantBody: `[{"id":2,"title":"Jeru","artist":"Gerry Mulligan","price":17.99}]`},
		{name: "list past the end", method: "GET", path: "/albums?offset=3", wantStatus: 200, wantBody: `[]`},
		{name: "list huge limit", method: "GET", path: "/albums?limit=9223372036854775807&offset=2", wantStatus: 200,
			wantBody: `[{"id":3,"title":"Sarah Vaughan and Clifford Brown","artist":"Sarah Vaughan","price":39.99}]`},
		{name: "get", method: "GET", path: "/albums/2", wantStatus: 200,
			wantBody: `{"id":2,"title":"Jeru","artist":"Gerry Mulligan","price":17.99}`},
		{name: "head", method: "HEAD", path: "/albums/2", wantStatus: 200},

		// Bad reads.
		{name: "limit not a number", method: "GET", path: "/albums?limit=ten", wantStatus: 400, wantError: `limit must be a positive integer, got "ten"`},
		{name: "limit zero", method: "GET", path: "/albums?limit=0", wantStatus: 400, wantError: "limit must be a positive integer"},
		{name: "limit negative", method: "GET", path: "/albums?limit=-1", wantStatus: 400, wantError: "limit must be a positive integer"},
		{name: "limit empty", method: "GET", path: "/albums?limit=", wantStatus: 400, wantError: "limit must be a positive integer"},
		{name: "limit fraction", method: "GET", path: "/albums?limit=1.5", wantStatus: 400, wantError: "limit"},
		{name: "limit overflow", method: "GET", path: "/albums?limit=99999999999999999999", wantStatus: 400, wantError: "limit"},
		{name: "limit twice", method: "GET", path: "/albums?limit=1&limit=2", wantStatus: 400, wantError: "limit"},
		{name: "offset negative", method: "GET", path: "/albums?offset=-1", wantStatus: 400, wantError: `offset must be a non-negative integer, got "-1"`},
		{name: "offset signed", method: "GET", path: "/albums?offset=+1", wantStatus: 400, wantError: "offset"},
		{name: "get missing", method: "GET", path: "/albums/99", wantStatus: 404, wantError: "album 99 not found"},
		{name: "get id not a number", method: "GET", path: "/albums/abc", wantStatus: 400, wantError: `album id must be a positive integer, got "abc"`},
		{name: "get id zero", method: "GET", path: "/albums/0", wantStatus: 400, wantError: "positive integer"},
		{name: "get id negative", method: "GET", path: "/albums/-2", wantStatus: 400, wantError: "positive integer"},
		{name: "get id fraction", method: "GET", path: "/albums/1.0", wantStatus: 400, wantError: "positive integer"},
		{name: "get id overflow", method: "GET", path: "/albums/99999999999999999999", wantStatus: 400, wantError: "positive integer"},
		{name: "unknown path", method: "GET", path: "/artists", wantStatus: 404, wantError: "no such endpoint: GET /artists"},
		{name: "nested path", method: "GET", path: "/albums/1/tracks", wantStatus: 404, wantError: "no such endpoint"},

		// Methods.
		{name: "delete albums", method: "DELETE", path: "/albums", wantStatus: 405, wantAllow: "GET, HEAD, POST", wantError: "method DELETE is not allowed on /albums"},
		{name: "put album", method: "PUT", path: "/albums/1", contentType: jsonCT, body: `{}`, wantStatus: 405, wantAllow: "GET, HEAD", wantError: "method PUT is not allowed"},
		{name: "post album id", method: "POST", path: "/albums/1", contentType: jsonCT, body: `{}`, wantStatus: 405, wantAllow: "GET, HEAD"},
		{name: "post healthz", method: "POST", path: "/healthz", wantStatus: 405, wantAllow: "GET, HEAD"},

		// Creation.
		{name: "create", method: "POST", path: "/albums", contentType: jsonCT,
			body:       `{"title":"Kind of Blue","artist":"Miles Davis","price":12.5}`,
			wantStatus: 201, wantBody: `{"id":4,"title":"Kind of Blue","artist":"Miles Davis","price":12.5}`, wantStored: 4},
		{name: "create with charset", method: "POST", path: "/albums", contentType: "application/json; charset=UTF-8",
			body: `{"price":0,"artist":"B","title":"A"}`, wantStatus: 201, wantBody: `{"id":4,"title":"A","artist":"B","price":0}`, wantStored: 4},
		{name: "create negative zero price", method: "POST", path: "/albums", contentType: jsonCT,
			body: `{"title":"A","artist":"B","price":-0}`, wantStatus: 201, wantBody: `{"id":4,"title":"A","artist":"B","price":0}`, wantStored: 4},
		{name: "create unicode and escapes", method: "POST", path: "/albums", contentType: jsonCT,
			body: `{"title":"Caf\u00e9 \"live\"","artist":"Bj\u00f6rk","price":1e1}`, wantStatus: 201,
			wantBody: `{"id":4,"title":"Café \"live\"","artist":"Björk","price":10}`, wantStored: 4},

		// Bad creations: nothing may be stored.
		{name: "malformed JSON", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":`, wantStatus: 400, wantError: "malformed JSON"},
		{name: "not JSON", method: "POST", path: "/albums", contentType: jsonCT, body: `title=x`, wantStatus: 400, wantError: "malformed JSON"},
		{name: "empty body", method: "POST", path: "/albums", contentType: jsonCT, body: ``, wantStatus: 400, wantError: "request body is empty"},
		{name: "array body", method: "POST", path: "/albums", contentType: jsonCT, body: `[{"title":"a"}]`, wantStatus: 400, wantError: "must be a JSON object"},
		{name: "trailing data", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":"b","price":1}{}`, wantStatus: 400, wantError: "unexpected data after the album object"},
		{name: "trailing garbage", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":"b","price":1} x`, wantStatus: 400, wantError: "unexpected data"},
		{name: "unknown field", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":"b","price":1,"year":1959}`, wantStatus: 400, wantError: `unknown field "year"`},
		{name: "client id", method: "POST", path: "/albums", contentType: jsonCT, body: `{"id":7,"title":"a","artist":"b","price":1}`, wantStatus: 400, wantError: `unknown field "id"`},
		{name: "field case", method: "POST", path: "/albums", contentType: jsonCT, body: `{"Title":"a","artist":"b","price":1}`, wantStatus: 400, wantError: `unknown field "Title"`},
		{name: "duplicate field", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","title":"b","artist":"b","price":1}`, wantStatus: 400, wantError: `field "title" appears more than once`},
		{name: "missing title", method: "POST", path: "/albums", contentType: jsonCT, body: `{"artist":"b","price":1}`, wantStatus: 400, wantError: "title is required"},
		{name: "blank title", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"  ","artist":"b","price":1}`, wantStatus: 400, wantError: "title must not be empty"},
		{name: "null title", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":null,"artist":"b","price":1}`, wantStatus: 400, wantError: "title must be a string, got null"},
		{name: "numeric title", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":5,"artist":"b","price":1}`, wantStatus: 400, wantError: "title must be a string, got a number"},
		{name: "missing artist", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","price":1}`, wantStatus: 400, wantError: "artist is required"},
		{name: "object artist", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":{},"price":1}`, wantStatus: 400, wantError: "artist must be a string, got an object"},
		{name: "missing price", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":"b"}`, wantStatus: 400, wantError: "price is required"},
		{name: "negative price", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":"b","price":-0.01}`, wantStatus: 400, wantError: "price must not be negative, got -0.01"},
		{name: "string price", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":"b","price":"9.99"}`, wantStatus: 400, wantError: "price must be a number, got a string"},
		{name: "boolean price", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":"b","price":true}`, wantStatus: 400, wantError: "price must be a number, got a boolean"},
		{name: "price out of range", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":"b","price":1e400}`, wantStatus: 400, wantError: "price 1e400 is out of range"},
		{name: "body too large", method: "POST", path: "/albums", contentType: jsonCT, body: big, wantStatus: 413, wantError: "larger than 1048576 bytes"},
		{name: "wrong content type", method: "POST", path: "/albums", contentType: "text/plain", body: `{"title":"a","artist":"b","price":1}`, wantStatus: 415, wantError: `Content-Type "text/plain" is not supported`},
		{name: "form content type", method: "POST", path: "/albums", contentType: "application/x-www-form-urlencoded", body: `title=a`, wantStatus: 415, wantError: "want application/json"},
		{name: "missing content type", method: "POST", path: "/albums", body: `{"title":"a","artist":"b","price":1}`, wantStatus: 415, wantError: "Content-Type is missing"},
		{name: "malformed content type", method: "POST", path: "/albums", contentType: "application/json; charset", body: `{"title":"a","artist":"b","price":1}`, wantStatus: 415, wantError: "malformed"},
		{name: "non-UTF-8 charset", method: "POST", path: "/albums", contentType: "application/json; charset=latin1", body: `{"title":"a","artist":"b","price":1}`, wantStatus: 415, wantError: `charset "latin1" is not supported`},
		{name: "invalid UTF-8 title", method: "POST", path: "/albums", contentType: jsonCT, body: "{\"title\":\"a\xff\xfeb\",\"artist\":\"b\",\"price\":1}", wantStatus: 400, wantError: "title is not valid UTF-8"},
		{name: "lone surrogate artist", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a","artist":"x\ud800y","price":1}`, wantStatus: 400, wantError: "artist has an unpaired surrogate escape"},
		{name: "escaped replacement character is text", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"a\ufffd","artist":"\ud83c\udfb7","price":1}`, wantStatus: 201, wantStored: 4},
		{name: "title too long", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"` + strings.Repeat("é", 513) + `","artist":"b","price":1}`, wantStatus: 400, wantError: "title is 1026 bytes long, more than the 1024 allowed"},
		{name: "title at the limit", method: "POST", path: "/albums", contentType: jsonCT, body: `{"title":"` + strings.Repeat("x", 1024) + `","artist":"b","price":1}`, wantStatus: 201, wantStored: 4},
		{name: "long unknown field is not echoed whole", method: "POST", path: "/albums", contentType: jsonCT, body: `{"` + strings.Repeat("k", 100000) + `":1}`, wantStatus: 400, wantError: `kkk"... (100000 bytes): only title`},
		{name: "long bad id is not echoed whole", method: "GET", path: "/albums/" + strings.Repeat("9x", 50000), wantStatus: 400, wantError: `x"... (100000 bytes)`},
		{name: "double slash redirects in JSON", method: "GET", path: "//albums?limit=1", wantStatus: 301, wantError: `path "//albums" is not canonical: use "/albums"`, wantLocation: "/albums?limit=1"},
		{name: "dot segments redirect in JSON", method: "GET", path: "/albums/../healthz", wantStatus: 301, wantError: "is not canonical", wantLocation: "/healthz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestService(t, Config{Preload: 3})
			got := serve(t, s.Handler(), tc.method, tc.path, tc.contentType, tc.body)
			if got.status != tc.wantStatus {
				t.Fatalf("%s %s: status %d, want %d; body %s", tc.method, tc.path, got.status, tc.wantStatus, got.body)
			}
			if ct := got.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if tc.wantBody != "" && strings.TrimSpace(got.body) != tc.wantBody {
				t.Errorf("body = %s\nwant   %s", got.body, tc.wantBody)
			}
			if loc := got.header.Get("Location"); tc.wantLocation != "" && loc != tc.wantLocation {
				t.Errorf("Location = %q, want %q", loc, tc.wantLocation)
			}
			if got.status >= 300 && got.status != http.StatusCreated {
				if len(got.body) > 512 {
					t.Errorf("error body is %d bytes: it echoes too much", len(got.body))
				}
				var eb errorBody
				if err := json.Unmarshal([]byte(got.body), &eb); err != nil || eb.Error == "" {
					t.Errorf("error body %q is not {\"error\": \"...\"} (%v)", got.body, err)
				}
				if !strings.Contains(eb.Error, tc.wantError) {
					t.Errorf("error = %q, want it to contain %q", eb.Error, tc.wantError)
				}
			}
			if allow := got.header.Get("Allow"); allow != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", allow, tc.wantAllow)
			}
			wantStored := tc.wantStored
			if wantStored == 0 {
				wantStored = 3
			}
			if n := s.store.Len(); n != wantStored {
				t.Errorf("store holds %d albums afterwards, want %d", n, wantStored)
			}
			if got.status == http.StatusCreated {
				checkCreated(t, s, got)
			}
		})
	}
}

// checkCreated checks that a 201 names the new album in Location and that
// the album can be read back there unchanged.
func checkCreated(t *testing.T, s *Service, got response) {
	t.Helper()
	var created Album
	if err := json.Unmarshal([]byte(got.body), &created); err != nil {
		t.Fatalf("201 body %q: %v", got.body, err)
	}
	loc := got.header.Get("Location")
	if want := "/albums/" + itoa(created.ID); loc != want {
		t.Errorf("Location = %q, want %q", loc, want)
	}
	back := serve(t, s.Handler(), "GET", loc, "", "")
	var read Album
	if err := json.Unmarshal([]byte(back.body), &read); err != nil || back.status != 200 || read != created {
		t.Errorf("GET %s = %d %s, want 200 with %+v", loc, back.status, back.body, created)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestListPagesCoverEverything pages through a larger catalogue and checks
// the pages add up to the full listing, with no album twice or missing.
func TestListPagesCoverEverything(t *testing.T) {
	for _, kind := range StoreKinds() {
		t.Run(string(kind), func(t *testing.T) {
			s := newTestService(t, Config{Store: kind, Preload: 103})
			var full []Album
			if err := json.Unmarshal([]byte(serve(t, s.Handler(), "GET", "/albums", "", "").body), &full); err != nil {
				t.Fatal(err)
			}
			if len(full) != 103 {
				t.Fatalf("full listing has %d albums, want 103", len(full))
			}
			var paged []Album
			for offset := 0; offset < 120; offset += 10 {
				var page []Album
				body := serve(t, s.Handler(), "GET", "/albums?limit=10&offset="+itoa(int64(offset)), "", "").body
				if err := json.Unmarshal([]byte(body), &page); err != nil {
					t.Fatal(err)
				}
				paged = append(paged, page...)
			}
			if !reflect.DeepEqual(paged, full) {
				t.Errorf("pages joined = %d albums, differ from the full listing", len(paged))
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Store: "tree"}, `config Store: unknown store "tree"`},
		{Config{Store: StoreSharded, Shards: -2}, "config Shards: -2 is out of range"},
		{Config{Fsync: "sometimes"}, `config Fsync: unknown fsync policy "sometimes"`},
		{Config{Preload: -1}, "config Preload: -1 is out of range"},
		{Config{Preload: MaxPreload + 1}, "config Preload"},
		{Config{ShutdownTimeout: -1}, "config ShutdownTimeout"},
		{Config{ReadTimeout: -time.Second}, "config ReadTimeout: -1s is negative"},
		{Config{MaxConns: -1}, "config MaxConns: -1 is negative"},
		{Config{MaxAlbums: -5}, "config MaxAlbums: -5 is negative"},
		{Config{DataFile: "/nonexistent-dir/x/journal"}, "opening journal"},
	}
	for _, tc := range tests {
		s, err := New(tc.cfg)
		if err == nil {
			s.Close()
			t.Errorf("New(%+v) succeeded, want error containing %q", tc.cfg, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) error = %q, want it to contain %q", tc.cfg, err, tc.want)
		}
	}
}
