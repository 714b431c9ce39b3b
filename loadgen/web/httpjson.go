package web

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/loadgen/loadgen/internal/jsonhttp"
)

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) { jsonhttp.Write(w, status, v) }

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

// decodeBody reads a JSON request body into v, strictly: the body must be
// declared as JSON, fit in max bytes, hold one object and no unknown field.
// An empty body leaves v as it is.
func decodeBody(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	var body bytes.Buffer
	if err := jsonhttp.ReadBody(w, r, max, &body); err != nil {
		return err
	}
	if len(bytes.TrimSpace(body.Bytes())) == 0 {
		return nil
	}
	if err := jsonhttp.RequireJSON(r); err != nil {
		return err
	}
	if err := jsonhttp.DecodeStrict(body.Bytes(), v); err != nil {
		return jsonhttp.Errorf(http.StatusBadRequest, "request body: %v", err)
	}
	return nil
}

// fail answers err with its status (see errorStatus).
func fail(w http.ResponseWriter, err error) {
	status, msg := errorStatus(err)
	writeError(w, status, msg)
}

// errorStatus is the status to answer err with, and its message: its
// own, 400 for a bad request, 409 for a control that does not fit the
// run's state, 501 for one the run lacks, 500 otherwise.
func errorStatus(err error) (int, string) {
	var he *jsonhttp.Error
	var re *RequestError
	var ce errConflict
	switch {
	case errors.As(err, &he):
		return he.Status, he.Msg
	case errors.As(err, &re):
		return http.StatusBadRequest, re.Error()
	case errors.As(err, &ce):
		return http.StatusConflict, ce.Error()
	case errUnsupported(err):
		return http.StatusNotImplemented, err.Error()
	}
	return http.StatusInternalServerError, err.Error()
}
