package albumsvc

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkPOSTFsync measures POST /albums over loopback HTTP with a
// journal that is on disk before each 201: with group commit (what
// --fsync always does) and with one fsync per request (the naive design it
// replaces). 25 x GOMAXPROCS clients post concurrently over kept-alive
// connections; one op is one acknowledged album. fsyncs/op shows how many
// albums share each fsync.
func BenchmarkPOSTFsync(b *testing.B) {
	for _, tc := range []struct {
		name   string
		policy FsyncPolicy
	}{
		{"group-commit", FsyncAlways},
		{"per-request", fsyncEachRequest},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var ff *faultyFile
			cfg := Config{Store: StoreMutex, DataFile: filepath.Join(b.TempDir(), "albums.jsonl"), Fsync: tc.policy,
				wrapJournal: func(f journalFile) journalFile {
					ff = newFaultyFile(f)
					return ff
				}}
			s, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			addr := strings.TrimPrefix(srv.URL, "http://")
			const body = `{"title":"Blue Train","artist":"John Coltrane","price":56.99}`

			b.SetParallelism(25)
			b.ReportAllocs()
			b.ResetTimer()
			syncsBefore := ff.syncCount()
			b.RunParallel(func(pb *testing.PB) {
				c, err := dialRaw(addr)
				if err != nil {
					b.Error(err)
					return
				}
				defer c.conn.Close()
				for pb.Next() {
					status, resp, err := c.post("/albums", body)
					if err != nil || status != http.StatusCreated {
						b.Errorf("POST: %d %s %v", status, resp, err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(ff.syncCount()-syncsBefore)/float64(b.N), "fsyncs/op")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "posts/s")
		})
	}
}
