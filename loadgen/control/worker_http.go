package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/loadgen/loadgen/internal/jsonhttp"
	"github.com/loadgen/loadgen/loadgen/control/wire"
)

// exchange sends msg as JSON (nothing when nil) and decodes a 200 answer
// into out (when not nil). It returns the status, and an error for
// anything but 200 and 204: errGone for 410, a permanentError for 401 and
// for a 400 to a registration.
func (w *Worker) exchange(ctx context.Context, method, path string, msg, out any, limit int64) (int, error) {
	var body []byte
	if msg != nil {
		var err error
		if body, err = json.Marshal(msg); err != nil {
			return 0, fmt.Errorf("encoding %s: %w", path, err)
		}
	}
	return w.send(ctx, method, path, body, out, limit)
}

// send is exchange with a body already encoded.
func (w *Worker) send(ctx context.Context, method, path string, body []byte, out any, limit int64) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, w.base+path, rd)
	if err != nil {
		return 0, fmt.Errorf("control request %s: %w", path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	wire.SetToken(req, w.cfg.Token)
	resp, err := w.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := jsonhttp.ReadLimited(resp.Body, limit)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("reading the answer to %s: %w", path, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if out != nil {
			if err := jsonhttp.DecodeStrict(data, out); err != nil {
				return resp.StatusCode, fmt.Errorf("malformed answer to %s: %w", path, err)
			}
		}
		return resp.StatusCode, nil
	case http.StatusNoContent:
		return resp.StatusCode, nil
	case http.StatusGone:
		return resp.StatusCode, errGone
	}
	err = fmt.Errorf("%s %s%s: HTTP %d: %s", method, w.base, path, resp.StatusCode, errorText(data))
	if resp.StatusCode == http.StatusUnauthorized {
		return resp.StatusCode, &permanentError{fmt.Errorf("the coordinator refused this worker's token (it must be the coordinator's): %w", err)}
	}
	if resp.StatusCode == http.StatusBadRequest && path == wire.PathRegister {
		return resp.StatusCode, &permanentError{err}
	}
	return resp.StatusCode, err
}

// errorText is the message of an ErrorResponse body, or the body itself.
func errorText(data []byte) string {
	var e wire.ErrorResponse
	if json.Unmarshal(data, &e) == nil && e.Error != "" {
		return e.Error
	}
	return wire.Truncate(string(bytes.TrimSpace(data)), 200)
}
