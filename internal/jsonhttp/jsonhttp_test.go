package jsonhttp

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecodeStrict(t *testing.T) {
	type msg struct {
		A int `json:"a"`
	}
	var m msg
	if err := DecodeStrict([]byte(" {\"a\": 2}\n "), &m); err != nil || m.A != 2 {
		t.Fatalf("got %+v, %v", m, err)
	}
	for _, bad := range []string{`{"a":1,"b":2}`, `{"a":1} {"a":2}`, `{"a":1}}`, `{"a":"x"}`, ``, `{`} {
		if err := DecodeStrict([]byte(bad), &m); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	if err := DecodeStrict([]byte(`{} []`), &m); !errors.Is(err, ErrTrailing) {
		t.Errorf("trailing value: %v", err)
	}
}

func TestReadBody(t *testing.T) {
	for _, tt := range []struct {
		body   string
		length int64
		status int
	}{
		{"12345", 5, 0},
		{"123456", 6, http.StatusRequestEntityTooLarge},  // declared too long
		{"123456", -1, http.StatusRequestEntityTooLarge}, // found too long
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		r.ContentLength = tt.length
		var buf bytes.Buffer
		err := ReadBody(httptest.NewRecorder(), r, 5, &buf)
		switch {
		case tt.status == 0 && (err != nil || buf.String() != tt.body):
			t.Errorf("%q: %v, read %q", tt.body, err, buf.String())
		case tt.status != 0 && (err == nil || err.Status != tt.status || !strings.Contains(err.Msg, "over")):
			t.Errorf("%q (length %d): %v, want %d", tt.body, tt.length, err, tt.status)
		}
	}
}

func TestRequireJSON(t *testing.T) {
	for ct, ok := range map[string]bool{
		"application/json": true, "application/json; charset=utf-8": true,
		"": false, "text/plain": false, "application/x-www-form-urlencoded": false, "json": false,
	} {
		r := httptest.NewRequest("POST", "/", nil)
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		err := RequireJSON(r)
		if (err == nil) != ok || (err != nil && err.Status != http.StatusUnsupportedMediaType) {
			t.Errorf("Content-Type %q: %v", ct, err)
		}
	}
}

func TestWriteAndReadLimited(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, http.StatusTeapot, map[string]int{"n": 1})
	if rec.Code != http.StatusTeapot || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" || rec.Body.String() != "{\"n\":1}\n" {
		t.Errorf("%d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	if b, err := ReadLimited(strings.NewReader("abc"), 3); err != nil || string(b) != "abc" {
		t.Errorf("%q %v", b, err)
	}
	if _, err := ReadLimited(strings.NewReader("abcd"), 3); err == nil {
		t.Error("4 bytes read under a limit of 3")
	}
}
