package results

import (
	"encoding/base64"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestIndexMatchesLibrary(t *testing.T) {
	if n := (NewHistogram().ByteSize() - 6*8 - 5*4) / 8; n != countsLen {
		t.Fatalf("library has %d buckets, countsLen is %d", n, countsLen)
	}
	for i := int32(0); i < countsLen; i++ {
		if got := indexOf(valueAt(i)); got != i {
			t.Fatalf("indexOf(valueAt(%d)) = %d", i, got)
		}
	}
	values := []int64{0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 1 << 20, HighestMicros - 1, HighestMicros}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		values = append(values, rng.Int64N(HighestMicros+1)>>rng.IntN(36))
	}
	for _, v := range values {
		h := NewPackedHistogram()
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
		var lowest int64
		for bv := range h.ForEachBucket {
			lowest = bv
		}
		if got := valueAt(indexOf(v)); got != lowest {
			t.Fatalf("value %d: our bucket starts at %d, the library's at %d", v, got, lowest)
		}
	}
}

// randomDense fills a library histogram with n random values.
func randomDense(rng *rand.Rand, n int) *hdrhistogram.Histogram {
	h := NewHistogram()
	for range n {
		_ = h.RecordValue(1 + rng.Int64N(HighestMicros)>>rng.IntN(30))
	}
	return h
}

func TestCodecReadsLibraryEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 10, 1000, 20000} {
		h := randomDense(rng, n)
		enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(string(enc))
		if err != nil {
			t.Fatal(err)
		}
		var c histCodec
		var s sparseCounts
		if err := c.decode(raw, &s); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !denseOf(&s).Equals(h) {
			t.Fatalf("n=%d: decoded histogram differs from the library's", n)
		}
	}
}

func TestLibraryReadsCodecEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var c histCodec // reused across histograms, as a worker reuses it
	for _, n := range []int{0, 1, 10, 1000, 20000} {
		h := randomDense(rng, n)
		var s sparseCounts
		p := NewPackedHistogram()
		p.MergeFrom(h)
		for v, k := range p.ForEachBucket {
			s.appendBucket(indexOf(v), k)
		}
		raw, err := c.encode(&s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := hdrhistogram.Decode([]byte(base64.StdEncoding.EncodeToString(raw)))
		if err != nil {
			t.Fatalf("n=%d: library cannot decode: %v", n, err)
		}
		if !back.Equals(h) {
			t.Fatalf("n=%d: library decodes a different histogram", n)
		}
	}
}

func TestCodecRejectsBadPayloads(t *testing.T) {
	var c histCodec
	var s sparseCounts
	s.appendBucket(5, 3)
	good, err := c.encode(&s)
	if err != nil {
		t.Fatal(err)
	}
	good = append([]byte(nil), good...)
	tests := map[string][]byte{
		"empty":             {},
		"short":             good[:5],
		"bad cookie":        append([]byte{0, 0, 0, 0}, good[4:]...),
		"truncated zlib":    good[:len(good)-3],
		"length past input": append(append([]byte(nil), good[:4]...), append([]byte{0x7f, 0, 0, 0}, good[8:]...)...),
	}
	for name, in := range tests {
		var out sparseCounts
		if err := c.decode(in, &out); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	for name, p := range map[string][]byte{
		"truncated number": {0x80},
		"run past the end": zz(-(countsLen + 1)),
		"bucket past end":  append(zz(-(countsLen)), 2),
		"min int64 run":    zz(-1 << 63),
	} {
		var out sparseCounts
		if err := parsePayload(p, &out); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func zz(v int64) []byte {
	var b [maxVarintLen]byte
	return append([]byte(nil), b[:putZigZag(b[:], v)]...)
}

func TestZigZagRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, -64, 64, 1 << 20, -(1 << 40), 1<<62 + 5, -1 << 63, 1<<63 - 1} {
		b := zz(v)
		got, n := zigZag(b)
		if got != v || n != len(b) {
			t.Errorf("zigZag(putZigZag(%d)) = %d, %d bytes of %d", v, got, n, len(b))
		}
	}
}

// denseOf converts sparse counts to a library histogram.
func denseOf(s *sparseCounts) *hdrhistogram.Histogram {
	h := NewHistogram()
	mergeDense(&h, s)
	return h
}

// TestPlainEncodingRoundTrip checks the uncompressed V2 form that deltas
// use: what it encodes decodes to the same histogram, its header is the one
// HdrHistogram defines, and a wrong payload length is refused.
func TestPlainEncodingRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	c := histCodec{plain: true}
	for _, n := range []int{0, 1, 10, 1000, 20000} {
		h := randomDense(rng, n)
		var s sparseCounts
		p := NewPackedHistogram()
		p.MergeFrom(h)
		for v, k := range p.ForEachBucket {
			s.appendBucket(indexOf(v), k)
		}
		raw, err := c.encode(&s)
		if err != nil {
			t.Fatal(err)
		}
		if cookie := int32(binary.BigEndian.Uint32(raw)) &^ 0xf0; cookie != hdrhistogram.V2EncodingCookieBase {
			t.Fatalf("cookie %#x, want the V2 plain cookie", cookie)
		}
		var back sparseCounts
		var d histCodec
		if err := d.decode(raw, &back); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !denseOf(&back).Equals(h) {
			t.Fatalf("n=%d: decoded histogram differs", n)
		}
		if n > 0 {
			if err := d.decode(raw[:len(raw)-1], &back); err == nil {
				t.Errorf("n=%d: a truncated payload decoded", n)
			}
		}
	}
}
