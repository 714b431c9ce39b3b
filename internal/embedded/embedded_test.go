package embedded

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/albumsvc"
)

func TestStartServesSampleAlbums(t *testing.T) {
	s, err := Start(albumsvc.StoreSharded, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || s.Store != albumsvc.StoreSharded {
		t.Errorf("URL %q, store %q", s.URL, s.Store)
	}
	resp, err := http.Get(s.URL + "/albums/3")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /albums/3: %d %s; want one of the %d sample albums", resp.StatusCode, body, Preload)
	}
	if err := s.Stop(); err != nil {
		t.Error(err)
	}
	if _, err := http.Get(s.URL + "/healthz"); err == nil {
		t.Error("still serving after Stop")
	}
}
