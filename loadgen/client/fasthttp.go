package client

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Buffer sizes of the fasthttp client's connection. The read buffer holds
// a whole response header, so it starts at a size that fits nearly all and
// grows, for the one connection that needs it, up to MaxHeaderBytes.
const (
	readBufSize  = 16 << 10
	writeBufSize = 4 << 10
)

// The buffers of an exchange come from process-wide pools and go back once
// its response has been read: a user between requests holds none, so ten
// thousand users that think between requests need the buffers of the few
// exchanges in flight, not 20 KB each. Only a read buffer that still holds
// unread bytes stays with its connection, and one grown for a large header
// stays until the connection closes.
// The fasthttp request and response header, rendered and parsed afresh
// for every exchange, come from pools too.
var (
	readerPool  = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufSize) }}
	writerPool  = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufSize) }}
	requestPool = sync.Pool{New: func() any { return new(fasthttp.Request) }}
	headerPool  = sync.Pool{New: func() any { return new(fasthttp.ResponseHeader) }}
)

// idleTimeout is how long a kept-alive connection may sit unused before it
// is closed rather than reused: servers close idle connections too, and
// one they closed would fail the next request.
const idleTimeout = 10 * time.Second

// maxInterim bounds the 1xx responses read before the real one.
const maxInterim = 8

var (
	strHTTP  = []byte("http")
	strHTTPS = []byte("https")
)

// fastHTTP renders requests and parses response headers with fasthttp, on
// a connection it dials, writes and reads itself. fasthttp's own Client
// either buffers a whole body, trusting its declared length, or allocates
// for every streamed one; here the body is read as it arrives, counted and
// dropped, with nothing allocated per request once the buffers have grown.
type fastHTTP struct {
	cfg *config
	hdr *fasthttp.ResponseHeader // during an exchange only
	// hdrGrown says that hdr read a header too large for the usual
	// buffer, on a connection closed since.
	hdrGrown bool
	first    [512]byte // the first bytes of a response, read before a buffer is taken
	conns    *connTracker
	watch    cancelWatch
	conn     fastConn
	aw       awaitWriter // during a request's rendering only
	keep     keeper
	// headers is a copy of the last response's headers, when its request
	// asked to keep them.
	headers headerKeeper
}

// fastConn is the client's one connection, and the read buffer it holds
// between exchanges, if any; c is nil when there is no connection.
type fastConn struct {
	c        *trackedConn
	rw       net.Conn // c, or TLS over c
	host     string   // the URL's host as written, for reuse
	https    bool
	lastUse  time.Time
	deadline bool // a deadline is set on rw
	grown    bool // the read buffer grew for a large header
	src      replay
	br       *bufio.Reader // nil until an exchange takes one
}

// replay feeds a bufio.Reader what a smaller one had buffered before it
// was replaced, then the connection.
type replay struct {
	pending []byte
	err     error // returned once pending is drained, instead of reading r
	r       io.Reader
}

func (p *replay) Read(b []byte) (int, error) {
	if len(p.pending) > 0 {
		n := copy(b, p.pending)
		p.pending = p.pending[n:]
		return n, nil
	}
	if err := p.err; err != nil {
		p.err = nil
		return 0, err
	}
	return p.r.Read(b)
}

func newFastHTTP(cfg *config) *fastHTTP {
	conns := newConnTracker()
	c := &fastHTTP{cfg: cfg, conns: conns}
	c.watch.conns = conns
	return c
}

func (c *fastHTTP) Do(ctx context.Context, req *Request) (Response, error) {
	c.headers.reset(false)
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	r := requestPool.Get().(*fasthttp.Request)
	c.hdr = headerPool.Get().(*fasthttp.ResponseHeader)
	resp, err := c.do(ctx, req, r)
	if err != nil {
		c.headers.reset(false)
	}
	r.Reset()
	requestPool.Put(r)
	if c.hdr != nil && !c.hdrGrown && !c.conn.grown {
		// A header that grew for a large response is left to the
		// collector rather than kept in the pool.
		c.hdr.Reset()
		headerPool.Put(c.hdr)
	}
	c.hdr, c.hdrGrown = nil, false
	return resp, err
}

// do is Do with a request and a response header to use.
func (c *fastHTTP) do(ctx context.Context, req *Request, r *fasthttp.Request) (Response, error) {
	c.watch.follow(ctx)
	c.conns.startRequest()
	c.render(req, r)
	d, bounded, err := c.open(ctx, r.URI(), req.URL)
	if err != nil {
		return Response{}, err
	}
	fc := &c.conn
	if bounded || fc.deadline {
		if err := fc.rw.SetDeadline(d); err != nil { // zero d clears it
			return Response{}, c.fail(ctx, err, nil)
		}
		fc.deadline = bounded
	}
	bw := writerPool.Get().(*bufio.Writer)
	if fc.https {
		bw.Reset(fc.rw)
	} else {
		c.aw = awaitWriter{c: fc.c}
		bw.Reset(&c.aw)
	}
	err = r.Write(bw)
	if err == nil {
		c.aw.final = true // the request's last bytes await its response
		err = bw.Flush()
	}
	c.aw = awaitWriter{}
	bw.Reset(nil)
	writerPool.Put(bw)
	if err != nil {
		return Response{}, c.fail(ctx, err, nil)
	}
	if fc.br == nil {
		// Wait for the response's first bytes in a small buffer of the
		// client's own, and take a pooled one only once they are here:
		// thousands of exchanges waiting on a slow target then hold
		// 512 bytes each rather than 16 KB.
		n, err := fc.rw.Read(c.first[:])
		fc.src.pending = c.first[:n]
		fc.src.err = err
		fc.br = c.newReader()
		fc.br.Reset(&fc.src)
	}
	resp, err := c.read(ctx, req, r.Header.IsHead())
	if err != nil {
		return Response{}, err
	}
	c.releaseReader()
	// A read error met after the whole response (its last bytes came
	// with the connection's end) leaves nothing to reuse.
	if c.hdr.ConnectionClose() || r.ConnectionClose() || resp.Status == fasthttp.StatusSwitchingProtocols || fc.src.err != nil {
		c.closeConn()
	}
	return resp, nil
}

// render fills the fasthttp request r from req.
func (c *fastHTTP) render(req *Request, r *fasthttp.Request) {
	r.Reset()
	r.SetRequestURI(req.URL)
	// Send the path as written, as net/http does.
	r.URI().DisablePathNormalizing = true
	r.Header.SetNoDefaultContentType(true)
	if req.Method != "" {
		r.Header.SetMethod(req.Method)
	}
	for _, kv := range req.Header {
		switch {
		case strings.EqualFold(kv.Key, "Host"):
			// Connect to the URL's host, but announce this one.
			r.UseHostHeader = true
		case strings.EqualFold(kv.Key, "Content-Length"):
			continue // taken from Body, as net/http does
		}
		r.Header.Add(kv.Key, kv.Value)
	}
	if req.ContentType != "" {
		r.Header.SetContentType(req.ContentType)
	}
	if len(r.Header.UserAgent()) == 0 {
		r.Header.SetUserAgent(c.cfg.UserAgent)
	}
	if len(req.Body) > 0 {
		r.SetBody(req.Body) // copied into r's own buffer
	}
	if c.cfg.DisableKeepAlives {
		r.SetConnectionClose()
	}
}

// open makes sure the client's connection goes where uri points, dialling
// it unless it is open already, and returns the deadline of an exchange
// that starts now. Both a request and Connect come through here.
func (c *fastHTTP) open(ctx context.Context, uri *fasthttp.URI, rawURL string) (d time.Time, bounded bool, err error) {
	https := bytes.Equal(uri.Scheme(), strHTTPS)
	if !https && !bytes.Equal(uri.Scheme(), strHTTP) || len(uri.Host()) == 0 {
		return d, false, fmt.Errorf("request URL %q: want an absolute http:// or https:// URL", rawURL)
	}
	now := time.Now()
	d, bounded = deadline(ctx, now, c.cfg.Timeout)
	if err := c.connect(ctx, uri.Host(), https, now, d, bounded); err != nil {
		c.closeConn()
		return d, bounded, normalise(ctx, err, c.conns.readErr(), nil)
	}
	return d, bounded, nil
}

// connect keeps the connection when it goes to host and is fit for reuse,
// and otherwise dials a new one.
func (c *fastHTTP) connect(ctx context.Context, host []byte, https bool, now, d time.Time, bounded bool) error {
	fc := &c.conn
	if fc.c != nil {
		if string(host) == fc.host && https == fc.https && !fc.c.closed.Load() && now.Sub(fc.lastUse) < idleTimeout {
			fc.lastUse = now
			return nil
		}
		c.closeConn()
	}
	dctx := ctx
	if bounded {
		var cancel context.CancelFunc
		dctx, cancel = context.WithDeadline(ctx, d)
		defer cancel()
	}
	addr, name := dialAddr(string(host), https)
	nc, err := c.conns.dialContext(dctx, "tcp", addr)
	if err != nil {
		return err
	}
	tc := nc.(*trackedConn)
	var rw net.Conn = tc
	if https {
		cfg := c.cfg.tls
		if cfg == nil {
			cfg = &tls.Config{}
		}
		cfg = cfg.Clone()
		cfg.ServerName = name
		cfg.NextProtos = nil // HTTP/1.1 only
		tlc := tls.Client(tc, cfg)
		if err := tlc.HandshakeContext(dctx); err != nil {
			_ = tc.Close()
			return err
		}
		rw = tlc
	}
	*fc = fastConn{c: tc, rw: rw, host: string(host), https: https, lastUse: now}
	fc.src.r = rw
	return nil
}

// dialAddr is host with the scheme's default port when it names none, and
// the name to verify a certificate against.
func dialAddr(host string, https bool) (addr, name string) {
	port := "80"
	if https {
		port = "443"
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		return host, h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return net.JoinHostPort(name, port), name
}

// read reads the response to the request just sent.
func (c *fastHTTP) read(ctx context.Context, req *Request, head bool) (Response, error) {
	fc, hdr := &c.conn, c.hdr
	for interim := 0; ; {
		if err := hdr.Read(fc.br); err != nil {
			var small *fasthttp.ErrSmallBuffer
			if errors.As(err, &small) {
				if c.grow() {
					continue
				}
				return Response{}, c.fail(ctx, err, ErrHeaderTooLarge)
			}
			return Response{}, c.fail(ctx, err, ErrMalformed)
		}
		if s := hdr.StatusCode(); s >= 200 || s == fasthttp.StatusSwitchingProtocols {
			break
		}
		if interim++; interim > maxInterim {
			return Response{}, c.fail(ctx, errors.New("too many interim responses"), ErrMalformed)
		}
	}
	status := hdr.StatusCode()
	c.headers.reset(req.KeepHeaders)
	if req.KeepHeaders {
		for k, v := range hdr.All() {
			c.headers.add(k, v)
		}
	}
	c.keep.reset(req.KeepBody, c.cfg.MaxKeptBody)
	var n int64
	var err error
	if !head && status >= 200 && status != fasthttp.StatusNoContent && status != fasthttp.StatusNotModified {
		switch cl := hdr.ContentLength(); {
		case cl >= 0:
			n, err = readFixed(fc.br, int64(cl), &c.keep)
		case cl == -1:
			n, err = readChunked(fc.br, &c.keep, c.cfg.MaxHeaderBytes)
		default:
			n, err = readToClose(fc.br, &c.keep)
			c.closeConn()
		}
	}
	if err != nil {
		return Response{}, c.fail(ctx, err, ErrMalformed)
	}
	resp := Response{Status: status, Bytes: n}
	c.keep.fill(&resp)
	return resp, nil
}

// grow replaces the read buffer with one twice its size, keeping what it
// holds; false when it is at MaxHeaderBytes already.
func (c *fastHTTP) grow() bool {
	fc := &c.conn
	size := fc.br.Size()
	if size >= c.cfg.MaxHeaderBytes {
		return false
	}
	held, _ := fc.br.Peek(fc.br.Buffered())
	fc.src.pending = append(append([]byte(nil), held...), fc.src.pending...)
	c.putReader(fc.br)
	fc.br = bufio.NewReaderSize(&fc.src, min(2*size, c.cfg.MaxHeaderBytes))
	fc.grown = true
	return true
}

// newReader returns a read buffer of the configured size, from the pool
// when that is the usual size.
func (c *fastHTTP) newReader() *bufio.Reader {
	if size := min(readBufSize, c.cfg.MaxHeaderBytes); size != readBufSize {
		return bufio.NewReaderSize(nil, size)
	}
	return readerPool.Get().(*bufio.Reader)
}

// putReader returns a read buffer of the usual size to the pool.
func (c *fastHTTP) putReader(br *bufio.Reader) {
	if br.Size() == readBufSize {
		br.Reset(nil)
		readerPool.Put(br)
	}
}

// releaseReader gives back the read buffer after a complete response,
// unless it holds bytes of what follows or grew for a large header.
func (c *fastHTTP) releaseReader() {
	fc := &c.conn
	if fc.br != nil && !fc.grown && fc.br.Buffered() == 0 && len(fc.src.pending) == 0 {
		c.putReader(fc.br)
		fc.br = nil
	}
}

// fail closes the connection, which an exchange that failed part way
// leaves in an unknown state, and normalises err. A failure of no known
// kind, when fallback is set, is of that kind: the response broke the
// protocol, and its bytes stay out of the error's text.
func (c *fastHTTP) fail(ctx context.Context, err, fallback error) error {
	c.closeConn()
	return normalise(ctx, err, c.conns.readErr(), fallback)
}

// closeConn closes the connection, if any, and lets go of its read buffer
// and of a header that a large response made grow.
func (c *fastHTTP) closeConn() {
	fc := &c.conn
	if fc.c == nil {
		return
	}
	// The TCP connection, not the TLS one: a close_notify could wait on a
	// peer that does not read.
	_ = fc.c.Close()
	if fc.br != nil {
		c.putReader(fc.br)
	}
	if fc.grown {
		c.hdrGrown = true
	}
	*fc = fastConn{}
}

func (c *fastHTTP) Close() error {
	c.watch.close()
	c.closeConn()
	return nil
}

// ResponseHeader implements HeaderReader.
func (c *fastHTTP) ResponseHeader(name string, i int) ([]byte, bool) { return c.headers.get(name, i) }
