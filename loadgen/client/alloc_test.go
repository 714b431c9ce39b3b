package client

import (
	"context"
	"github.com/loadgen/loadgen/internal/race"
	"github.com/loadgen/loadgen/internal/rawhttp"
	"net/http"
	"testing"
	"time"
)

// albumJSON is a response the size of one album from the album service.
var albumJSON = []byte(`{"id":"4","title":"Blue Train","artist":"John Coltrane","price":56.99}`)

// hotPathRequests are the requests a user sends over and over.
func hotPathRequests(base string) map[string]*Request {
	return map[string]*Request{
		"GET": {URL: base + "/albums/4"},
		"POST": {
			Method:      http.MethodPost,
			URL:         base + "/albums",
			Header:      []Header{{"Accept", "application/json"}},
			Body:        albumJSON,
			ContentType: "application/json",
		},
	}
}

// TestFastHTTPAllocs pins the fasthttp client's hot path at zero
// allocations per request, with the context kinds a caller passes: none
// that can end, and one user context reused for every call.
func TestFastHTTPAllocs(t *testing.T) {
	if race.Enabled {
		t.Skip("allocation counts are meaningless under the race detector; run without -race")
	}
	s := rawhttp.New(t, albumJSON)
	cancelCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctxs := map[string]context.Context{"background": context.Background(), "cancellable": cancelCtx}
	for name, req := range hotPathRequests(s.URL) {
		for ctxName, ctx := range ctxs {
			t.Run(name+"/"+ctxName, func(t *testing.T) {
				c, err := New(KindFastHTTP, Options{Timeout: 10 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				var failed error
				do := func() {
					resp, err := c.Do(ctx, req)
					if err != nil || resp.Status != http.StatusOK || resp.Bytes != int64(len(albumJSON)) {
						failed = err
						if failed == nil {
							failed = errUnexpected(resp)
						}
					}
				}
				for range 10 { // grow buffers, dial, fill pools
					do()
				}
				allocs := testing.AllocsPerRun(200, do)
				if failed != nil {
					t.Fatalf("request failed: %v", failed)
				}
				if allocs != 0 {
					t.Errorf("%v allocations per request, want 0", allocs)
				}
			})
		}
	}
}

type errUnexpected Response

func (r errUnexpected) Error() string {
	return "unexpected response: status " + http.StatusText(r.Status)
}

// TestIdleFastHTTPClientHoldsNoBuffers checks that a fasthttp client gives
// its buffers back once a response has been read, keeping only its
// connection, so that users between requests hold no buffers.
func TestIdleFastHTTPClientHoldsNoBuffers(t *testing.T) {
	srv := rawhttp.New(t, []byte(`{"id":1}`))
	c, err := New(KindFastHTTP, Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fc := c.(*fastHTTP)
	for i := range 3 {
		resp, err := c.Do(context.Background(), &Request{URL: srv.URL + "/albums/1"})
		if err != nil || resp.Status != 200 {
			t.Fatalf("request %d: %v, %+v", i, err, resp)
		}
		if fc.conn.c == nil {
			t.Fatalf("request %d: no connection kept", i)
		}
		if fc.conn.br != nil {
			t.Fatalf("request %d: the client still holds a read buffer", i)
		}
	}
	if srv.Accepted() != 1 {
		t.Errorf("%d connections for 3 requests, want 1", srv.Accepted())
	}
}
