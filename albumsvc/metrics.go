package albumsvc

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

// metricsPath serves the service's own counters in the Prometheus text
// format. Scrapes of it are not counted, so that watching the counter
// does not move it.
const metricsPath = "/metrics"

// requestCounts counts requests by method as they arrive, before they are
// handled: the service's own view of the load it receives, independent of
// what any load generator reports. A test that cuts a generator off reads
// it to see when the load really stopped.
type requestCounts struct {
	get, head, post, other atomic.Int64
}

// counting wraps the API so that every request except a scrape of
// metricsPath is counted.
func (c *requestCounts) counting(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != metricsPath {
			switch r.Method {
			case http.MethodGet:
				c.get.Add(1)
			case http.MethodHead:
				c.head.Add(1)
			case http.MethodPost:
				c.post.Add(1)
			default:
				c.other.Add(1)
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Service) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	c := &s.counts
	fmt.Fprintf(w, `# HELP albumsvc_requests_total Requests received, by method, counted on arrival (scrapes of /metrics excluded).
# TYPE albumsvc_requests_total counter
albumsvc_requests_total{method="GET"} %d
albumsvc_requests_total{method="HEAD"} %d
albumsvc_requests_total{method="POST"} %d
albumsvc_requests_total{method="other"} %d
# HELP albumsvc_albums Albums in the store.
# TYPE albumsvc_albums gauge
albumsvc_albums %d
`, c.get.Load(), c.head.Load(), c.post.Load(), c.other.Load(), s.store.Len())
}
