package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestNormalise(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(1, 0))
	defer cancel2()

	opErr := func(op string, errno error) error {
		return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, errno)}
	}
	other := errors.New("tls: handshake failure")
	garbled := errors.New(`net/http: HTTP/1.x transport connection broken: malformed HTTP status code "\x00fine"`)

	tests := []struct {
		name    string
		ctx     context.Context
		err     error
		readErr error
		lib     error  // the kind the library's error is known to be
		want    error  // the kind, or the exact error for unknown kinds
		text    string // want's text when want is not a kind
	}{
		{name: "nil stays nil", ctx: live, err: nil, want: nil},
		{name: "fasthttp timeout", ctx: live, err: fasthttp.ErrTimeout, want: ErrTimeout},
		{name: "context deadline", ctx: live, err: fmt.Errorf("round trip: %w", context.DeadlineExceeded), want: ErrTimeout},
		{name: "conn deadline", ctx: live, err: &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, want: ErrTimeout},
		{name: "refused", ctx: live, err: opErr("connect", syscall.ECONNREFUSED), want: ErrConnRefused},
		{name: "reset", ctx: live, err: opErr("read", syscall.ECONNRESET), want: ErrConnReset},
		{name: "broken pipe", ctx: live, err: opErr("write", syscall.EPIPE), want: ErrConnClosed},
		{name: "EOF", ctx: live, err: io.EOF, want: ErrConnClosed},
		{name: "unexpected EOF", ctx: live, err: fmt.Errorf("reading body: %w", io.ErrUnexpectedEOF), want: ErrConnClosed},
		{name: "fasthttp closed", ctx: live, err: fasthttp.ErrConnectionClosed, want: ErrConnClosed},
		{name: "net/http closed idle", ctx: live, err: errors.New(textServerClosedIdle), want: ErrConnClosed},
		{name: "reset hidden as a close", ctx: live, err: fasthttp.ErrConnectionClosed, readErr: opErr("read", syscall.ECONNRESET), want: ErrConnReset},
		{name: "close hidden as a parse error", ctx: live, err: garbled, lib: netHTTPKind(garbled), readErr: io.EOF, want: ErrConnClosed},
		{name: "net/http malformed", ctx: live, err: garbled, lib: netHTTPKind(garbled), want: ErrMalformed},
		{name: "net/http header too large", ctx: live, err: errors.New("net/http: server response headers exceeded 1048576 bytes; aborted"), lib: ErrHeaderTooLarge, want: ErrHeaderTooLarge},
		{name: "known kind wins over the library's", ctx: live, err: io.EOF, lib: ErrMalformed, want: ErrConnClosed},
		{name: "read timeout does not relabel", ctx: live, err: other, readErr: os.ErrDeadlineExceeded, want: other, text: other.Error()},
		{name: "timeout is not relabelled by a read error", ctx: live, err: fasthttp.ErrTimeout, readErr: io.EOF, want: ErrTimeout},
		{name: "unknown passes through", ctx: live, err: other, want: other, text: other.Error()},
		{name: "cancelled ctx wins", ctx: cancelled, err: opErr("read", syscall.ECONNRESET), want: context.Canceled, text: "context canceled"},
		{name: "expired ctx is a timeout", ctx: expired, err: errors.New("use of closed network connection"), want: ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := normalise(tt.ctx, tt.err, tt.readErr, tt.lib)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("got %v, want nil", got)
				}
				return
			}
			if !errors.Is(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			text := tt.text
			if text == "" {
				text = tt.want.Error()
				var e *Error
				if !errors.As(got, &e) || e.Kind != tt.want {
					t.Fatalf("got %#v, want an *Error of kind %q", got, tt.want)
				}
				if tt.err != nil && !errors.Is(got, tt.err) {
					t.Errorf("%q does not wrap the library's error %q", got, tt.err)
				}
			}
			if got.Error() != text {
				t.Errorf("text %q, want %q", got, text)
			}
			if tt.want == ErrTimeout && !errors.Is(got, context.DeadlineExceeded) {
				t.Errorf("timeout %q does not match context.DeadlineExceeded", got)
			}
			if tt.want != ErrTimeout && errors.Is(got, context.DeadlineExceeded) {
				t.Errorf("%q matches context.DeadlineExceeded", got)
			}
		})
	}
}
