// Package response describes an HTTP response the way captures and checks
// read it: a status, a body (or its first part), headers and cookies.
//
// A View is an interface rather than a struct so that whatever holds the
// response (a client's reused buffers, a test's literal) can answer
// without copying: values are read straight from the holder's memory and
// are valid only until it is reused, normally by the user's next request.
package response

import (
	"net/textproto"
	"strings"
)

// View is a read-only window on one response. Byte slices it returns
// belong to the holder and must be copied to be kept beyond the next
// request.
type View interface {
	// Status is the HTTP status code.
	Status() int
	// Body is the response body as far as it was kept: the whole of it,
	// or its first part when the client keeps only a prefix of large
	// bodies.
	Body() []byte
	// Header returns the i-th (0-based) value of the header called name,
	// matched case-insensitively; ok is false when there are no more.
	Header(name string, i int) (value []byte, ok bool)
	// Cookie returns the value of the cookie called name as the response
	// set it, or else as the user's cookie jar holds it for the request's
	// URL; ok is false when neither has it.
	Cookie(name string) (value []byte, ok bool)
}

// Static is a View over plain values: for tests and for programs that
// capture from responses they did not get through loadgen's client.
type Static struct {
	Code int
	Data []byte
	// Headers maps canonical header names (textproto's) to their values.
	Headers map[string][]string
	Cookies map[string]string
}

// Status implements View.
func (s *Static) Status() int { return s.Code }

// Body implements View.
func (s *Static) Body() []byte { return s.Data }

// Header implements View.
func (s *Static) Header(name string, i int) ([]byte, bool) {
	vs := s.Headers[textproto.CanonicalMIMEHeaderKey(name)]
	if vs == nil {
		for k, v := range s.Headers {
			if strings.EqualFold(k, name) {
				vs = v
				break
			}
		}
	}
	if i < 0 || i >= len(vs) {
		return nil, false
	}
	return []byte(vs[i]), true
}

// Cookie implements View.
func (s *Static) Cookie(name string) ([]byte, bool) {
	v, ok := s.Cookies[name]
	if !ok {
		return nil, false
	}
	return []byte(v), true
}

// IsToken reports whether s is an RFC 9110 token, the syntax of methods,
// header names and cookie names.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
