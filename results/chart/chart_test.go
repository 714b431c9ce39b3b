package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden summaries in testdata")

// svgDoc is what the tests read from an SVG: the root's declared size,
// every text in document order, and the colours of strokes and fills.
type svgDoc struct {
	width, height string
	texts         []string
	strokes       []string // distinct, sorted
	fills         []string // distinct, sorted
	raw           string
}

var (
	strokeRe = regexp.MustCompile(`stroke:(#[0-9A-F]{6})`)
	fillRe   = regexp.MustCompile(`fill:(#[0-9A-F]{6})`)
)

// parseSVG decodes the whole document, so malformed XML fails the test.
func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	doc := svgDoc{raw: string(b)}
	dec := xml.NewDecoder(bytes.NewReader(b))
	var inText bool
	var cur strings.Builder
	strokes, fills := map[string]bool{}, map[string]bool{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			for _, a := range el.Attr {
				switch {
				case el.Name.Local == "svg" && a.Name.Local == "width":
					doc.width = a.Value
				case el.Name.Local == "svg" && a.Name.Local == "height":
					doc.height = a.Value
				case a.Name.Local == "style":
					for _, m := range strokeRe.FindAllStringSubmatch(a.Value, -1) {
						strokes[m[1]] = true
					}
					for _, m := range fillRe.FindAllStringSubmatch(a.Value, -1) {
						fills[m[1]] = true
					}
				}
			}
			if el.Name.Local == "text" {
				inText = true
				cur.Reset()
			}
		case xml.CharData:
			if inText {
				cur.Write(el)
			}
		case xml.EndElement:
			if el.Name.Local == "text" {
				inText = false
				doc.texts = append(doc.texts, cur.String())
			}
		}
	}
	for c := range strokes {
		doc.strokes = append(doc.strokes, c)
	}
	for c := range fills {
		doc.fills = append(doc.fills, c)
	}
	slices.Sort(doc.strokes)
	slices.Sort(doc.fills)
	return doc
}

func (d svgDoc) has(text string) bool { return slices.Contains(d.texts, text) }

// summary is the golden form of a chart: its texts and colours, which
// change when the chart's content or style changes but not with font
// rasterisation or gonum's path precision.
func (d svgDoc) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "size %s×%s\n", d.width, d.height)
	for _, s := range d.texts {
		fmt.Fprintf(&b, "text %q\n", s)
	}
	fmt.Fprintf(&b, "strokes %s\nfills %s\n", strings.Join(d.strokes, " "), strings.Join(d.fills, " "))
	return b.String()
}

func checkGolden(t *testing.T, name string, d svgDoc) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	got := d.summary()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}

// selfContained fails when an SVG could reach outside itself: no URL
// other than the XML namespace names, no external image or stylesheet,
// and a font stack that ends in a generic family.
func selfContained(t *testing.T, d svgDoc) {
	t.Helper()
	raw := d.raw
	for _, ns := range []string{`xmlns="http://www.w3.org/2000/svg"`, `xmlns:xlink="http://www.w3.org/1999/xlink"`} {
		raw = strings.Replace(raw, ns, "", 1)
	}
	for _, bad := range []string{"http:", "https:", "url(", "<image", "@import", "href="} {
		if strings.Contains(raw, bad) {
			t.Errorf("SVG contains %q", bad)
		}
	}
	if strings.Contains(raw, "font-family:Liberation") || !strings.Contains(raw, "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;") {
		t.Error("SVG text lacks the fallback font stack")
	}
}

// decodePNG checks the size and returns the image.
func decodePNG(t *testing.T, b []byte, w, h int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if got := img.Bounds().Size(); got != (image.Point{X: w, Y: h}) {
		t.Fatalf("PNG is %v, want %dx%d", got, w, h)
	}
	return img
}

// countColor counts the pixels within a small distance of c; lines are
// antialiased, so their cores match and their edges blend.
func countColor(img image.Image, c color.Color) int {
	r0, g0, b0, _ := c.RGBA()
	want := [3]int{int(r0 >> 8), int(g0 >> 8), int(b0 >> 8)}
	rgba := image.NewRGBA(img.Bounds())
	stddraw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, stddraw.Src)
	n := 0
	for i := 0; i+3 < len(rgba.Pix); i += 4 {
		if absInt(int(rgba.Pix[i])-want[0]) < 8 && absInt(int(rgba.Pix[i+1])-want[1]) < 8 && absInt(int(rgba.Pix[i+2])-want[2]) < 8 {
			n++
		}
	}
	return n
}

func absInt(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

func drawn(t *testing.T, f Format, fn func(io.Writer, Format) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := fn(&b, f); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func usl(n float64) float64    { return 1000 * n / (1 + 0.05*(n-1) + 0.002*n*(n-1)) }
func amdahl(n float64) float64 { return 1100 * n / (1 + 0.12*(n-1)) }

func sweep() ScalingData {
	d := ScalingData{
		Dimension: "workers",
		Ideal:     1000,
		Curves: []Curve{
			{Name: "Amdahl (σ=0.12)", F: amdahl, Color: orange},
			{Name: "USL (σ=0.05, κ=0.002)", F: usl, Color: blue},
		},
	}
	for _, n := range []float64{64, 1, 2, 4, 8, 16, 32} { // order must not matter
		d.Steps = append(d.Steps, Step{N: n, X: usl(n) * 1.01})
	}
	return d
}

func TestThroughput(t *testing.T) {
	d := sweep()
	opts := Options{Title: "Throughput by workers"}
	fn := func(w io.Writer, f Format) error { return Throughput(w, f, d, opts) }
	doc := parseSVG(t, drawn(t, SVG, fn))
	selfContained(t, doc)
	for _, want := range []string{"Throughput by workers", "workers", "throughput (requests/s)", "Amdahl (σ=0.12)", "USL (σ=0.05, κ=0.002)", "linear ideal (1\u2009000 × N)", "measured", "1", "2", "64", "8\u2009000"} {
		if !doc.has(want) {
			t.Errorf("SVG lacks the text %q; texts: %q", want, doc.texts)
		}
	}
	checkGolden(t, "throughput", doc)

	img := decodePNG(t, drawn(t, PNG, fn), DefaultWidth, DefaultHeight)
	for name, c := range map[string]color.Color{"USL": blue, "Amdahl": orange, "ideal": grey, "measured": black} {
		if n := countColor(img, c); n < 50 {
			t.Errorf("PNG has %d pixels of the %s colour, want a drawn line", n, name)
		}
	}
}

func TestThroughputCategorical(t *testing.T) {
	d := ScalingData{Dimension: "store", Categorical: true, Steps: []Step{
		{Label: "mutex", X: 41000}, {Label: "rwmutex", X: 52000.4}, {Label: "syncmap", X: 60500}, {Label: "sharded", X: 71200},
	}, Curves: []Curve{{Name: "ignored", F: usl}}, Ideal: 1}
	fn := func(w io.Writer, f Format) error {
		return Throughput(w, f, d, Options{Title: "By store", Width: 640, Height: 360})
	}
	doc := parseSVG(t, drawn(t, SVG, fn))
	selfContained(t, doc)
	if doc.width != "640" || doc.height != "360" {
		t.Errorf("SVG declares %s×%s, want 640×360", doc.width, doc.height)
	}
	for _, want := range []string{"mutex", "rwmutex", "syncmap", "sharded", "41\u2009000", "52\u2009000", "store"} {
		if !doc.has(want) {
			t.Errorf("SVG lacks %q; texts: %q", want, doc.texts)
		}
	}
	if doc.has("ignored") {
		t.Error("a categorical sweep drew a fitted curve")
	}
	checkGolden(t, "throughput-categorical", doc)
	img := decodePNG(t, drawn(t, PNG, fn), 640, 360)
	if n := countColor(img, blue); n < 4*500 {
		t.Errorf("%d blue pixels, want four filled bars", n)
	}
}

func TestLatency(t *testing.T) {
	d := LatencyData{Dimension: "users"}
	for _, n := range []float64{10, 25, 50, 100, 200} {
		d.Steps = append(d.Steps, LatencyStep{N: n, P50: 2 + n/20, P95: 5 + n/8, P99: 9 + n/3})
	}
	d.Steps[2].P99 = math.NaN() // a step without a p99 leaves a gap, not a zero
	fn := func(w io.Writer, f Format) error { return Latency(w, f, d, Options{Title: "Latency by users"}) }
	doc := parseSVG(t, drawn(t, SVG, fn))
	selfContained(t, doc)
	for _, want := range []string{"Latency by users", "users", "response time (ms)", "p50", "p95", "p99", "10", "25", "200"} {
		if !doc.has(want) {
			t.Errorf("SVG lacks %q; texts: %q", want, doc.texts)
		}
	}
	checkGolden(t, "latency", doc)
	img := decodePNG(t, drawn(t, PNG, fn), DefaultWidth, DefaultHeight)
	for i, c := range percentileColors {
		if n := countColor(img, c); n < 50 {
			t.Errorf("p%d colour: %d pixels", []int{50, 95, 99}[i], n)
		}
	}
}

func TestLatencyCategorical(t *testing.T) {
	d := LatencyData{Dimension: "store", Unit: "µs", Categorical: true, Steps: []LatencyStep{
		{Label: "mutex", P50: 300, P95: 900, P99: 2000},
		{Label: "sharded", P50: 150, P95: 400, P99: math.Inf(1)},
	}}
	fn := func(w io.Writer, f Format) error { return Latency(w, f, d, Options{}) }
	doc := parseSVG(t, drawn(t, SVG, fn))
	for _, want := range []string{"mutex", "sharded", "response time (µs)", "p50", "p95", "p99"} {
		if !doc.has(want) {
			t.Errorf("SVG lacks %q; texts: %q", want, doc.texts)
		}
	}
	checkGolden(t, "latency-categorical", doc)
	decodePNG(t, drawn(t, PNG, fn), DefaultWidth, DefaultHeight)
}

// hour is one hour of one-second points for a run: rates, percentiles
// with a gap, and users ramping up.
func hour() (rates, times, users []Series) {
	const n = 3600
	ts := make([]float64, n)
	var rps, fails, p50, p95, p99, u []float64
	for i := range n {
		t := float64(i)
		ts[i] = t
		users := math.Min(100, t/3)
		wave := math.Sin(t / 7)
		u = append(u, users)
		rps = append(rps, users*10*(1+0.05*wave))
		fails = append(fails, math.Max(0, 30*math.Sin(t/97)))
		p50 = append(p50, 20+users/5+2*wave)
		p95 = append(p95, 2.5*(20+users/5)+5*math.Sin(t/3))
		v := 5 * (20 + users/5) * (1 + 0.3*math.Abs(math.Sin(t/11)))
		if i >= 1800 && i < 1830 {
			v = math.NaN()
		}
		p99 = append(p99, v)
	}
	rates = []Series{{Name: "requests/s", T: ts, V: rps}, {Name: "failures/s", T: ts, V: fails}}
	times = []Series{{Name: "p50", T: ts, V: p50}, {Name: "p95", T: ts, V: p95}, {Name: "p99", T: ts, V: p99}}
	users = []Series{{Name: "users", T: ts, V: u}}
	return rates, times, users
}

func TestTimeSeriesHour(t *testing.T) {
	rates, times, users := hour()
	for _, tc := range []struct {
		name   string
		series []Series
		opts   Options
		texts  []string
	}{
		{"rates", rates, Options{Title: "Requests per second", YLabel: "per second"}, []string{"requests/s", "failures/s", "per second"}},
		{"times", times, Options{Title: "Response times", YLabel: "ms"}, []string{"p50", "p95", "p99", "ms"}},
		{"users", users, Options{Title: "Users", YLabel: "users"}, []string{"users", "100"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := func(w io.Writer, f Format) error { return TimeSeries(w, f, tc.series, tc.opts) }
			raw := drawn(t, SVG, fn)
			if len(raw) > 500_000 {
				t.Errorf("SVG of an hour is %d bytes, want under 500 KB", len(raw))
			}
			t.Logf("one hour, %d series: SVG %d bytes", len(tc.series), len(raw))
			doc := parseSVG(t, raw)
			selfContained(t, doc)
			for _, want := range append(tc.texts, tc.opts.Title, "elapsed time", "0:00", "30:00", "50:00") {
				if !doc.has(want) {
					t.Errorf("SVG lacks %q; texts: %q", want, doc.texts)
				}
			}
			checkGolden(t, "timeseries-"+tc.name, doc)
			if tc.name == "times" { // one PNG is enough, and they are slow under -race
				img := decodePNG(t, drawn(t, PNG, fn), DefaultWidth, DefaultHeight)
				for i := range 3 {
					if n := countColor(img, palette(i)); n < 200 {
						t.Errorf("series %d: %d pixels of its colour", i, n)
					}
				}
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	t.Run("time series draws a note", func(t *testing.T) {
		for _, series := range [][]Series{nil, {{Name: "users"}}, {{Name: "p99", T: []float64{0, 1}, V: []float64{math.NaN(), math.Inf(1)}}}} {
			opts := Options{Title: "Users", Width: 240, Height: 160}
			fn := func(w io.Writer, f Format) error { return TimeSeries(w, f, series, opts) }
			doc := parseSVG(t, drawn(t, SVG, fn))
			if !doc.has("no data yet") || !doc.has("Users") {
				t.Errorf("texts %q, want the title and a no-data note", doc.texts)
			}
			decodePNG(t, drawn(t, PNG, fn), opts.Width, opts.Height)
		}
	})
	tests := []struct {
		name string
		fn   func(io.Writer) error
	}{
		{"throughput without steps", func(w io.Writer) error { return Throughput(w, SVG, ScalingData{}, Options{}) }},
		{"throughput without valid steps", func(w io.Writer) error {
			return Throughput(w, PNG, ScalingData{Steps: []Step{{N: 0, X: 1}, {N: 2, X: math.NaN()}, {N: math.Inf(1), X: 3}, {N: 4, X: -1}}}, Options{})
		}},
		{"categorical throughput without steps", func(w io.Writer) error {
			return Throughput(w, SVG, ScalingData{Categorical: true}, Options{})
		}},
		{"latency without steps", func(w io.Writer) error { return Latency(w, SVG, LatencyData{}, Options{}) }},
		{"latency without valid N", func(w io.Writer) error {
			return Latency(w, SVG, LatencyData{Steps: []LatencyStep{{N: -1, P50: 1}}}, Options{})
		}},
		{"categorical latency without steps", func(w io.Writer) error {
			return Latency(w, PNG, LatencyData{Categorical: true}, Options{})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			err := tc.fn(&b)
			if !errors.Is(err, ErrNoData) {
				t.Errorf("error %v, want ErrNoData", err)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %d bytes before failing", b.Len())
			}
		})
	}
}

func TestErrors(t *testing.T) {
	d := sweep()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"too small", Throughput(io.Discard, SVG, d, Options{Width: 50}), "size 50×450 pixels, want each side between 100 and 8000"},
		{"too large", TimeSeries(io.Discard, PNG, nil, Options{Height: 9000}), "size 800×9000"},
		{"negative", Latency(io.Discard, PNG, LatencyData{Steps: []LatencyStep{{N: 1}}}, Options{Width: -5}), "size -5×450"},
		{"unknown format", Throughput(io.Discard, Format(7), d, Options{}), "unknown format Format(7)"},
		{"mismatched series", TimeSeries(io.Discard, SVG, []Series{{Name: "ok"}, {Name: "rps", T: []float64{1, 2}, V: []float64{1}}}, Options{}), `series 1 ("rps"): 2 times but 1 values`},
		{"negative bar", Throughput(io.Discard, SVG, ScalingData{Categorical: true, Steps: []Step{{Label: "a", X: 1}, {Label: "b", X: -2}}}, Options{}), `step 1 ("b"): throughput -2`},
	}
	for _, tc := range tests {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, tc.err, tc.want)
		}
	}
}

// TestAwkwardInput draws inputs that are valid but unusual; each must give
// a readable chart, not a panic or an error.
func TestAwkwardInput(t *testing.T) {
	small := Options{Width: 240, Height: 160} // PNGs are slow under the race detector
	nan := func(float64) float64 { return math.NaN() }
	tests := []struct {
		name   string
		fn     func(io.Writer, Format) error
		texts  []string
		absent []string // legend entries for things that cannot be drawn
	}{
		{"one step on a log axis", func(w io.Writer, f Format) error {
			return Throughput(w, f, ScalingData{Dimension: "workers", XScale: Log, Steps: []Step{{N: 1, X: 10}}, Ideal: 10, Curves: []Curve{{Name: "flat", F: usl}}}, small)
		}, []string{"measured", "1"}, []string{"flat", "linear ideal (10 × N)"}},
		{"curves that fail", func(w io.Writer, f Format) error {
			return Throughput(w, f, ScalingData{Steps: []Step{{N: 1, X: 10}, {N: 2, X: 15}}, Ideal: math.NaN(), Curves: []Curve{{Name: "nan", F: nan}, {Name: "nil"}}}, small)
		}, []string{"measured"}, []string{"nan", "nil"}},
		{"runaway curve", func(w io.Writer, f Format) error {
			return Throughput(w, f, ScalingData{Steps: []Step{{N: 1, X: 10}, {N: 2, X: 15}}, Curves: []Curve{{Name: "runaway", F: func(n float64) float64 { return 1e6 * n }}}}, small)
		}, []string{"runaway", "25"}, []string{"30", "2 000 000"}},
		{"all zero throughput", func(w io.Writer, f Format) error {
			return Throughput(w, f, ScalingData{Steps: []Step{{N: 1}, {N: 2}, {N: 3}}}, small)
		}, []string{"0", "1"}, nil},
		{"repeated steps", func(w io.Writer, f Format) error {
			return Throughput(w, f, ScalingData{Steps: []Step{{N: 4, X: 10}, {N: 4, X: 11}, {N: 8, X: 15}}}, small)
		}, []string{"4", "8"}, nil},
		{"one latency step", func(w io.Writer, f Format) error {
			return Latency(w, f, LatencyData{Steps: []LatencyStep{{N: 1, P50: 1, P95: 2, P99: 3}}, XScale: Log}, small)
		}, []string{"p99"}, nil},
		{"one time point", func(w io.Writer, f Format) error {
			return TimeSeries(w, f, []Series{{Name: "users", T: []float64{5}, V: []float64{3}}}, small)
		}, []string{"users", "0:05"}, nil},
		{"unsorted, all-zero series", func(w io.Writer, f Format) error {
			return TimeSeries(w, f, []Series{{Name: "failures/s", T: []float64{3, 1, 2}, V: []float64{0, 0, 0}}}, small)
		}, []string{"failures/s", "0:01", "0:03"}, nil},
		{"long run", func(w io.Writer, f Format) error {
			return TimeSeries(w, f, []Series{{Name: "users", T: []float64{0, 2 * 86400}, V: []float64{1, 2}}}, small)
		}, []string{"users", "0:00"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := parseSVG(t, drawn(t, SVG, tc.fn))
			for _, want := range tc.texts {
				if !doc.has(want) {
					t.Errorf("SVG lacks %q; texts: %q", want, doc.texts)
				}
			}
			for _, bad := range tc.absent {
				if doc.has(bad) {
					t.Errorf("SVG has %q; texts: %q", bad, doc.texts)
				}
			}
			decodePNG(t, drawn(t, PNG, tc.fn), small.Width, small.Height)
		})
	}
}
