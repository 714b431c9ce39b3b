// Package jsonhttp is strict JSON over HTTP, the one way loadgen's servers
// and clients read and write JSON bodies: bodies are capped before they
// are read whole, and decoded as exactly one value with no unknown field,
// so that a message that does not say precisely what the reader expects
// is refused rather than half understood.
package jsonhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// Error is a request refused with an HTTP status, for the server to answer
// with.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Errorf is an Error with a formatted message.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// ErrTrailing is DecodeStrict's error for data after the first value.
var ErrTrailing = errors.New("more than one JSON value, or trailing data after it")

// DecodeStrict decodes exactly one JSON value into v, refusing unknown
// object fields and anything after the value but white space.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrTrailing
	}
	return nil
}

// ReadBody reads a request body of at most limit bytes into buf. A body
// declared or found to be larger is a 413, without reading it to its end;
// a body that cannot be read is a 400.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, buf *bytes.Buffer) *Error {
	if r.ContentLength > limit {
		return Errorf(http.StatusRequestEntityTooLarge, "body of %d bytes is over the %d-byte limit", r.ContentLength, limit)
	}
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Errorf(http.StatusRequestEntityTooLarge, "body is over the %d-byte limit", limit)
		}
		return Errorf(http.StatusBadRequest, "reading the body: %v", err)
	}
	return nil
}

// RequireJSON refuses, with a 415, a request whose body is not declared as
// application/json: a browser can send text/plain and form bodies to any
// address without asking first, JSON not.
func RequireJSON(r *http.Request) *Error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return Errorf(http.StatusUnsupportedMediaType, "no Content-Type: send application/json")
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return Errorf(http.StatusUnsupportedMediaType, "Content-Type %q: send application/json", ct)
	}
	return nil
}

// Write answers with v as JSON. Answers are never cached: they describe
// state that changes.
func Write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the program's own types get here, and they encode.
		http.Error(w, `{"error":"encoding the answer failed"}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// ReadLimited reads all of rd, at most limit bytes: an answer longer than
// that is an error, not a truncated value.
func ReadLimited(rd io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, limit+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > limit {
		return data[:limit], fmt.Errorf("over %d bytes", limit)
	}
	return data, nil
}
