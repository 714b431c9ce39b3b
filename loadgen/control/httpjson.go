package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// decodeStrict decodes exactly one JSON value, refusing unknown fields and
// trailing data: a control message that does not say precisely what this
// version expects is rejected rather than half understood.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// httpError is a request the coordinator refuses, with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) *httpError {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// readBody reads a request body of at most limit bytes. Larger bodies get
// 413 without being read to their end.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, buf *bytes.Buffer) *httpError {
	if r.ContentLength > limit {
		return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes is over the %d-byte limit", r.ContentLength, limit)}
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body is over the %d-byte limit", limit)}
		}
		return badRequest("reading the body: %v", err)
	}
	return nil
}

// decodeRequest reads and strictly decodes a small JSON request body.
func decodeRequest(w http.ResponseWriter, r *http.Request, v interface{ validate() error }) *httpError {
	var buf bytes.Buffer
	if he := readBody(w, r, MaxMessageBytes, &buf); he != nil {
		return he
	}
	if err := decodeStrict(buf.Bytes(), v); err != nil {
		return badRequest("malformed JSON: %v", err)
	}
	if err := v.validate(); err != nil {
		return badRequest("%v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own message types get here, and they always encode.
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, he *httpError) {
	writeJSON(w, he.status, ErrorResponse{V: ProtocolVersion, Error: he.msg})
}
