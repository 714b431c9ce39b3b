package albumsvc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxBodyBytes caps a POST body. Albums are tiny; anything this large is a
// mistake or an attack, and reading it would only cost memory.
const maxBodyBytes = 1 << 20

// inputError is a client mistake. It carries the status to answer with so
// that the handler never has to guess, and never answers 500 for it.
type inputError struct {
	status int
	msg    string
}

func (e *inputError) Error() string { return e.msg }

func badRequest(format string, args ...any) *inputError {
	return &inputError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// decodeAlbum reads a new album from r: one JSON object with exactly the
// keys "title", "artist" and "price", each once, and nothing after it. It
// walks the tokens itself rather than unmarshalling into a struct because
// encoding/json matches keys case-insensitively, keeps the last of
// duplicate keys and reports type mismatches in Go terms; a client deserves
// an exact answer naming the field. The returned album has no id.
// Title and artist are valid UTF-8 of at most maxField bytes.
func decodeAlbum(r io.Reader, maxField int) (Album, error) {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return Album{}, badRequest("request body is empty: want a JSON object with title, artist and price")
		}
		return Album{}, readError(err)
	}
	if tok != json.Delim('{') {
		return Album{}, badRequest("request body must be a JSON object with title, artist and price")
	}

	var a Album
	var haveTitle, haveArtist, havePrice bool
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return Album{}, readError(err)
		}
		key, _ := tok.(string) // inside an object the decoder only yields string keys
		var seen *bool
		switch key {
		case "title":
			seen = &haveTitle
		case "artist":
			seen = &haveArtist
		case "price":
			seen = &havePrice
		default:
			return Album{}, badRequest("unknown field %s: only title, artist and price are accepted", echo(key))
		}
		if *seen {
			return Album{}, badRequest("field %s appears more than once", echo(key))
		}
		*seen = true

		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Album{}, readError(err)
		}
		switch key {
		case "title":
			a.Title, err = decodeText(key, raw, maxField)
		case "artist":
			a.Artist, err = decodeText(key, raw, maxField)
		case "price":
			a.Price, err = decodePrice(raw)
		}
		if err != nil {
			return Album{}, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return Album{}, readError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil && !isSyntaxError(err) {
			return Album{}, readError(err)
		}
		return Album{}, badRequest("malformed JSON: unexpected data after the album object")
	}

	switch {
	case !haveTitle:
		return Album{}, badRequest("title is required")
	case !haveArtist:
		return Album{}, badRequest("artist is required")
	case !havePrice:
		return Album{}, badRequest("price is required")
	}
	return a, nil
}

// decodeText decodes a required, non-blank JSON string field of valid
// UTF-8 and at most maxBytes bytes. encoding/json would store invalid
// UTF-8, and lone surrogate escapes, as U+FFFD: a silent change of what
// the client sent, so both are refused.
func decodeText(field string, raw json.RawMessage, maxBytes int) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", badRequest("%s must be a string, got %s", field, describeJSON(raw))
	}
	if !utf8.Valid(raw) {
		return "", badRequest("%s is not valid UTF-8", field)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badRequest("%s is not a valid JSON string: %v", field, err)
	}
	if strings.Count(s, "\uFFFD") > replacementsIn(raw) {
		return "", badRequest("%s has an unpaired surrogate escape: it is not valid UTF-16, so not text", field)
	}
	if strings.TrimSpace(s) == "" {
		return "", badRequest("%s must not be empty", field)
	}
	if len(s) > maxBytes {
		return "", badRequest("%s is %d bytes long, more than the %d allowed", field, len(s), maxBytes)
	}
	return s, nil
}

// replacementsIn counts the U+FFFD characters a JSON string literally
// holds, written as such or escaped.
func replacementsIn(raw []byte) int {
	n := strings.Count(string(raw), "\uFFFD")
	lower := bytes.ToLower(raw)
	return n + bytes.Count(lower, []byte(`\ufffd`))
}

// decodePrice decodes a non-negative, finite JSON number.
func decodePrice(raw json.RawMessage) (float64, error) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, badRequest("price must be a number, got %s", describeJSON(raw))
	}
	p, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, badRequest("price %s is out of range", clip(string(raw)))
	}
	if p < 0 {
		return 0, badRequest("price must not be negative, got %s", clip(string(raw)))
	}
	return p + 0, nil // + 0 turns -0 into 0, so "-0" is stored and echoed as 0
}

// describeJSON names the kind of a JSON value for error messages, so a
// client sees "got a string" rather than Go type names.
func describeJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// readError classifies a failure while reading the body: too large is 413,
// anything else the client sent is a malformed document.
func readError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &inputError{
			status: http.StatusRequestEntityTooLarge,
			msg:    fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit),
		}
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return badRequest("malformed JSON at byte %d: %v", syn.Offset, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return badRequest("malformed JSON: the body ends before the album object is complete")
	}
	return badRequest("reading request body: %v", err)
}

func isSyntaxError(err error) bool {
	var syn *json.SyntaxError
	return errors.As(err, &syn)
}
