package web

import (
	"bytes"
	"net/http"
	"strings"
	"sync"

	"github.com/loadgen/loadgen/results"
	"github.com/loadgen/loadgen/results/chart"
	"github.com/loadgen/loadgen/results/report"
)

// Chart size on the page; the SVG scales with the page, this sets its
// proportions and text size.
const chartWidth, chartHeight = 900, 300

// chartCache keeps the last drawing of each chart with the snapshot it was
// drawn from, so that pages polling every second or two, in any number of
// tabs, draw each chart once per collection.
type chartCache struct {
	mu    sync.Mutex
	drawn map[report.RunChart]drawnChart
}

type drawnChart struct {
	snap *results.Snapshot
	svg  []byte
}

func (c *chartCache) get(snap *results.Snapshot, rc report.RunChart) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.drawn[rc]; ok && d.snap == snap {
		return d.svg, nil
	}
	var b bytes.Buffer
	if err := report.WriteRunChart(&b, chart.SVG, snap, rc, chart.Options{Width: chartWidth, Height: chartHeight}); err != nil {
		return nil, err
	}
	if c.drawn == nil {
		c.drawn = map[report.RunChart]drawnChart{}
	}
	c.drawn[rc] = drawnChart{snap: snap, svg: b.Bytes()}
	return b.Bytes(), nil
}

func (c *chartCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.drawn)
}

// emptySnapshot stands for the statistics before the first run, so that
// the charts tab shows empty axes rather than an error.
func emptySnapshot() *results.Snapshot {
	var s results.Snapshot
	return &s
}

func (s *Server) handleChart(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".svg")
	rc, known := report.ParseRunChart(name)
	if !ok || !known {
		var names []string
		for _, c := range report.RunCharts() {
			names = append(names, c.String()+".svg")
		}
		writeError(w, http.StatusNotFound, "no chart "+r.PathValue("file")+": the charts are "+strings.Join(names, ", "))
		return
	}
	snap := emptySnapshot()
	if run := s.Current(); run != nil {
		snap = run.Snapshot()
	}
	svg, err := s.charts.get(snap, rc)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(svg)
}
