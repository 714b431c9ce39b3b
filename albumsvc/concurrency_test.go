package albumsvc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// keepAliveClient reuses connections across goroutines, so that a test
// sending thousands of requests measures the service, not TCP set-up, and
// does not run out of ephemeral ports.
func keepAliveClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// postAlbum posts one album and returns the status and stored album.
func postAlbum(c *http.Client, base string, a Album) (int, Album, error) {
	body := fmt.Sprintf(`{"title":%q,"artist":%q,"price":%g}`, a.Title, a.Artist, a.Price)
	resp, err := c.Post(base+"/albums", "application/json", bytes.NewBufferString(body))
	if err != nil {
		return 0, Album{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, Album{}, err
	}
	var got Album
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(b, &got); err != nil {
			return resp.StatusCode, Album{}, fmt.Errorf("decoding %q: %w", b, err)
		}
	}
	return resp.StatusCode, got, nil
}

// rawClient speaks HTTP/1.1 over one kept-alive loopback connection with
// no pooling machinery: the 50,000-request test below then spends its
// time (and its race-detector overhead) in the service rather than in
// http.Transport's per-request goroutines and channels.
type rawClient struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

func dialRaw(addr string) (*rawClient, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawClient{conn: conn, br: bufio.NewReader(conn), bw: bufio.NewWriter(conn)}, nil
}

func (c *rawClient) post(path, body string) (int, []byte, error) {
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(c.bw, "POST %s HTTP/1.1\r\nHost: albumsvc\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		path, len(body), body)
	if err := c.bw.Flush(); err != nil {
		return 0, nil, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, b, err
}

// TestConcurrentPOSTs sends 50 x 1000 POSTs over real loopback HTTP to
// each store and checks that exactly 50,000 albums exist afterwards, with
// distinct, dense ids and the content each client sent.
func TestConcurrentPOSTs(t *testing.T) {
	const clients, perClient = 50, 1000
	for _, kind := range StoreKinds() {
		t.Run(string(kind), func(t *testing.T) {
			s := newTestService(t, Config{Store: kind})
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")

			created := make([][]Album, clients)
			var wg sync.WaitGroup
			for g := range clients {
				wg.Go(func() {
					c, err := dialRaw(addr)
					if err != nil {
						t.Errorf("client %d: %v", g, err)
						return
					}
					defer c.conn.Close()
					for i := range perClient {
						sent := Album{Title: fmt.Sprintf("t%d-%d", g, i), Artist: fmt.Sprintf("a%d", g), Price: float64(i)}
						body := fmt.Sprintf(`{"title":%q,"artist":%q,"price":%g}`, sent.Title, sent.Artist, sent.Price)
						status, b, err := c.post("/albums", body)
						if err != nil || status != http.StatusCreated {
							t.Errorf("client %d post %d: status %d, err %v, body %s", g, i, status, err, b)
							return
						}
						var got Album
						if err := json.Unmarshal(b, &got); err != nil {
							t.Errorf("client %d post %d: body %q: %v", g, i, b, err)
							return
						}
						sent.ID = got.ID
						if got != sent {
							t.Errorf("client %d post %d: stored %+v, sent %+v", g, i, got, sent)
							return
						}
						created[g] = append(created[g], got)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}

			byID := make(map[int64]Album, clients*perClient)
			for _, as := range created {
				for _, a := range as {
					if prev, dup := byID[a.ID]; dup {
						t.Fatalf("id %d given to both %+v and %+v", a.ID, prev, a)
					}
					byID[a.ID] = a
				}
			}
			if len(byID) != clients*perClient {
				t.Fatalf("%d distinct ids, want %d", len(byID), clients*perClient)
			}
			if n := s.store.Len(); n != clients*perClient {
				t.Fatalf("store holds %d albums, want %d", n, clients*perClient)
			}
			all := s.store.List(0, -1)
			for i, a := range all {
				if a.ID != int64(i+1) || a != byID[a.ID] {
					t.Fatalf("listing[%d] = %+v, want id %d as created (%+v)", i, a, i+1, byID[int64(i+1)])
				}
			}
			if len(all) != clients*perClient {
				t.Fatalf("listing has %d albums, want %d", len(all), clients*perClient)
			}
		})
	}
}
