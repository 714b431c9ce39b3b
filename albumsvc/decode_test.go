package albumsvc

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDecodeAlbum checks the POST body decoder on arbitrary input: it
// never panics, every rejection is a client error with a message, and
// every accepted album is valid and survives a round trip unchanged.
func FuzzDecodeAlbum(f *testing.F) {
	for _, seed := range []string{
		`{"title":"Blue Train","artist":"John Coltrane","price":56.99}`,
		`{"price":0,"artist":"b","title":"a"}`,
		`{"title":"a","artist":"b","price":-0}`,
		`{"title":"\u00e9\"\\","artist":"b","price":1e3}`,
		`{"title":"a","artist":"b","price":"1"}`,
		`{"title":"a","title":"a","artist":"b","price":1}`,
		`{"title":"a","artist":"b","price":1}{}`,
		`{"title":"a","artist":"b","price":1,"x":[1,{"y":null}]}`,
		`[1,2]`, `null`, `"x"`, `{`, `{"title"`, ``, " \t\n", `{}`,
		`{"title":"a","artist":"b","price":1e999}`,
		"{\"title\":\"\xff\",\"artist\":\"b\",\"price\":1}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := decodeAlbum(strings.NewReader(string(body)), DefaultMaxFieldBytes)
		if err != nil {
			var in *inputError
			if !errors.As(err, &in) {
				t.Fatalf("error %v (%T) is not an inputError", err, err)
			}
			if in.status != http.StatusBadRequest || in.msg == "" {
				t.Fatalf("rejection status %d message %q, want 400 with a message", in.status, in.msg)
			}
			return
		}
		if strings.TrimSpace(a.Title) == "" || strings.TrimSpace(a.Artist) == "" {
			t.Fatalf("accepted blank title or artist: %+v", a)
		}
		if a.Price < 0 || math.IsNaN(a.Price) || math.IsInf(a.Price, 0) || math.Signbit(a.Price) {
			t.Fatalf("accepted bad price %v from %q", a.Price, body)
		}
		if a.ID != 0 {
			t.Fatalf("decoder set id %d; ids belong to the server", a.ID)
		}
		enc, err := json.Marshal(struct {
			Title  string  `json:"title"`
			Artist string  `json:"artist"`
			Price  float64 `json:"price"`
		}{a.Title, a.Artist, a.Price})
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeAlbum(strings.NewReader(string(enc)), DefaultMaxFieldBytes)
		if err != nil || again != a {
			t.Fatalf("round trip of %+v via %s gave %+v, %v", a, enc, again, err)
		}
	})
}

// TestDecodeAlbumTooLarge checks that hitting the body cap mid-document is
// a 413, not a 400 for the truncated JSON it leaves.
func TestDecodeAlbumTooLarge(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"inside a string", `{"title":"` + strings.Repeat("x", 100) + `","artist":"b","price":1}`},
		{"after the object", `{"title":"a","artist":"b","price":1}` + strings.Repeat(" ", 100)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			_, err := decodeAlbum(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(tc.body)), 50), DefaultMaxFieldBytes)
			var in *inputError
			if !errors.As(err, &in) || in.status != http.StatusRequestEntityTooLarge {
				t.Fatalf("err = %v, want a 413 inputError", err)
			}
		})
	}
}
