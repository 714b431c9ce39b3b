package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		http.Error(w, `{"error":"encoding the answer failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

// httpError is a request that failed with a status of its own.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// decodeBody reads a JSON request body into v, strictly: the body must be
// declared as JSON, fit in max bytes, hold one object and no unknown field.
// An empty body leaves v as it is.
func decodeBody(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", max)}
		}
		return &httpError{http.StatusBadRequest, "reading the request body: " + err.Error()}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send application/json", ct)}
		}
	} else {
		return &httpError{http.StatusUnsupportedMediaType, "no Content-Type: send application/json"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &httpError{http.StatusBadRequest, "request body: " + err.Error()}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &httpError{http.StatusBadRequest, "request body: more than one JSON value"}
	}
	return nil
}

// fail answers err with its status: its own, 400 for a bad request, 409
// for a control that does not fit the run's state, 501 for one the run
// lacks, 500 otherwise.
func fail(w http.ResponseWriter, err error) {
	var he *httpError
	var re *RequestError
	var ce errConflict
	switch {
	case errors.As(err, &he):
		writeError(w, he.status, he.msg)
	case errors.As(err, &re):
		writeError(w, http.StatusBadRequest, re.Error())
	case errors.As(err, &ce):
		writeError(w, http.StatusConflict, ce.Error())
	case errUnsupported(err):
		writeError(w, http.StatusNotImplemented, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}
