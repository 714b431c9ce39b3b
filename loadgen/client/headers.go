package client

import (
	"net/http"
	"net/textproto"
	"strings"
	"unsafe"
)

// HeaderReader reads the headers of a client's last response, kept for a
// request that set KeepHeaders. Both kinds of Client are HeaderReaders;
// cookies and redirects (see package browser), and captures and checks
// of headers, read them through it.
type HeaderReader interface {
	// ResponseHeader returns the i-th (0-based) value of the header called
	// name in the last response, matched case-insensitively; ok is false
	// when there is no such value, the last request failed or did not
	// keep its headers. The value belongs to the Client and is valid until
	// its next Do. Each Set-Cookie header is one value.
	ResponseHeader(name string, i int) (value []byte, ok bool)
}

// headerKeeper holds a copy of a response's headers, for a request that
// asked for them: the fasthttp client's header comes from a pool and goes
// back after the exchange, so that a user between requests holds no
// buffer it does not need. The copy reuses its memory from one response
// to the next.
type headerKeeper struct {
	on   bool
	buf  []byte
	ends []int32 // key end, value end, key end, ... offsets into buf
}

// reset empties the keeper and says whether the next response's headers
// are kept.
func (h *headerKeeper) reset(on bool) {
	h.on = on
	if cap(h.buf) > keptRetain {
		h.buf, h.ends = nil, nil
	}
	h.buf, h.ends = h.buf[:0], h.ends[:0]
}

// add keeps one header.
func (h *headerKeeper) add(key, value []byte) {
	if !h.on {
		return
	}
	h.buf = append(h.buf, key...)
	h.ends = append(h.ends, int32(len(h.buf)))
	h.buf = append(h.buf, value...)
	h.ends = append(h.ends, int32(len(h.buf)))
}

// get returns the i-th value of the header called name.
func (h *headerKeeper) get(name string, i int) ([]byte, bool) {
	if !h.on || i < 0 {
		return nil, false
	}
	start := int32(0)
	for k := 0; k+1 < len(h.ends); k += 2 {
		key := h.buf[start:h.ends[k]]
		if len(key) == len(name) && strings.EqualFold(unsafe.String(unsafe.SliceData(key), len(key)), name) {
			if i == 0 {
				return h.buf[h.ends[k]:h.ends[k+1]], true
			}
			i--
		}
		start = h.ends[k+1]
	}
	return nil, false
}

// headerValue reads the i-th value of name from a net/http header, in
// place: values are only read, and only until the next Do.
func headerValue(h http.Header, name string, i int) ([]byte, bool) {
	vals := h[textproto.CanonicalMIMEHeaderKey(name)]
	if i < 0 || i >= len(vals) {
		return nil, false
	}
	return unsafe.Slice(unsafe.StringData(vals[i]), len(vals[i])), true
}
