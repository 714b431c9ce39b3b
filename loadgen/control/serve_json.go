package control

import (
	"bytes"
	"net/http"

	"github.com/loadgen/loadgen/internal/jsonhttp"
	"github.com/loadgen/loadgen/loadgen/control/wire"
)

func badRequest(format string, args ...any) *jsonhttp.Error {
	return jsonhttp.Errorf(http.StatusBadRequest, format, args...)
}

// decodeRequest reads and strictly decodes a small JSON request body.
func decodeRequest(w http.ResponseWriter, r *http.Request, v interface{ Validate() error }) *jsonhttp.Error {
	var buf bytes.Buffer
	if he := jsonhttp.ReadBody(w, r, wire.MaxMessageBytes, &buf); he != nil {
		return he
	}
	if err := jsonhttp.DecodeStrict(buf.Bytes(), v); err != nil {
		return badRequest("malformed JSON: %v", err)
	}
	if err := v.Validate(); err != nil {
		return badRequest("%v", err)
	}
	return nil
}

// writeError answers with the protocol's error body.
func writeError(w http.ResponseWriter, he *jsonhttp.Error) {
	jsonhttp.Write(w, he.Status, wire.ErrorResponse{V: wire.ProtocolVersion, Error: he.Msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) { jsonhttp.Write(w, status, v) }
