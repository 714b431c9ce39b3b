package client

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/valyala/fasthttp"
)

// Failure kinds. Statistics group failures by error text, so each kind has
// one short text whichever client saw it; test with errors.Is.
var (
	// ErrTimeout: the request did not complete within Options.Timeout or
	// ctx's deadline. errors.Is(err, context.DeadlineExceeded) also holds.
	ErrTimeout = errors.New("timeout")
	// ErrConnRefused: nothing listens at the target address.
	ErrConnRefused = errors.New("connection refused")
	// ErrConnReset: the peer reset the connection.
	ErrConnReset = errors.New("connection reset by peer")
	// ErrConnClosed: the server closed the connection before the response
	// was complete (before its first byte, or part way through the body).
	ErrConnClosed = errors.New("connection closed by server")
	// ErrMalformed: the response is not HTTP/1.1 as specified: a garbled
	// status line, header or chunked framing, or an unparseable length.
	// The text never quotes what the target sent.
	ErrMalformed = errors.New("malformed response")
	// ErrHeaderTooLarge: the status line and headers exceed
	// Options.MaxHeaderBytes.
	ErrHeaderTooLarge = errors.New("response header too large")
)

// Error is a transport failure of a known kind. Its text is the kind's
// alone, with no address, port or library prefix, so that one failure
// groups under one key for both clients; Err keeps the client library's own
// error for logs and errors.As.
type Error struct {
	// Kind is one of ErrTimeout, ErrConnRefused, ErrConnReset,
	// ErrConnClosed, ErrMalformed, ErrHeaderTooLarge.
	Kind error
	// Err is the error the HTTP library returned.
	Err error
}

// Error returns the kind's text.
func (e *Error) Error() string { return e.Kind.Error() }

// Unwrap exposes both the kind and the library's error to errors.Is/As.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// Is makes a timeout match context.DeadlineExceeded too, the standard way
// callers test for one, even when the library's error does not wrap it.
func (e *Error) Is(target error) bool {
	return e.Kind == ErrTimeout && target == context.DeadlineExceeded
}

// textServerClosedIdle is net/http's unexported error for a kept-alive
// connection that the server closed just as a request was sent on it.
const textServerClosedIdle = "http: server closed idle connection"

// normalise turns a library error into the form Do returns: ctx's own
// error when ctx ended (the library error is then a consequence of that),
// an *Error for a known kind, or err unchanged. fallback is the kind the
// caller knows err to be when it is none of the transport kinds (nil for
// none). readErr is how a read on the connection last failed, if it did:
// when the connection was closed or reset under it, that is the failure,
// whatever the library made of the truncated input.
func normalise(ctx context.Context, err, readErr, fallback error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			return &Error{Kind: ErrTimeout, Err: err}
		}
		return cerr
	}
	kind := kindOf(err)
	if kind == nil {
		kind = fallback
	}
	if readErr != nil && (kind == nil || kind == ErrConnClosed || kind == ErrMalformed) {
		if rk := kindOf(readErr); rk == ErrConnClosed || rk == ErrConnReset {
			kind = rk
		}
	}
	if kind != nil {
		return &Error{Kind: kind, Err: err}
	}
	return err
}

// kindOf classifies err, or returns nil for a failure of no known kind.
func kindOf(err error) error {
	var t interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &t) && t.Timeout():
		return ErrTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrConnRefused
	case errors.Is(err, syscall.ECONNRESET):
		return ErrConnReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE),
		errors.Is(err, fasthttp.ErrConnectionClosed), err.Error() == textServerClosedIdle:
		return ErrConnClosed
	}
	return nil
}

// netHTTPKind classifies net/http's texts for a response it could not
// read, which it gives as strings alone (and which quote the response).
func netHTTPKind(err error) error {
	text := err.Error()
	switch {
	case strings.Contains(text, "server response headers exceeded"):
		return ErrHeaderTooLarge
	case strings.Contains(text, "malformed"),
		strings.Contains(text, "Content-Length"),
		strings.Contains(text, "transfer encoding"),
		strings.Contains(text, "chunk length"),
		strings.Contains(text, "chunked encoding"),
		strings.Contains(text, "header line too long"),
		strings.Contains(text, "invalid header"):
		return ErrMalformed
	case strings.Contains(text, "unexpected EOF reading trailer"):
		return ErrConnClosed
	}
	return nil
}
