package results

import (
	"encoding/base64"
	"fmt"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// EncodeHistogram returns h in HdrHistogram's V2 compressed encoding,
// base64: the format other HdrHistogram implementations read. h must have
// the project geometry.
func EncodeHistogram(h *hdrhistogram.PackedHistogram) (string, error) {
	if err := checkGeometry(h); err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	var s sparseCounts
	for v, n := range h.ForEachBucket {
		s.appendBucket(indexOf(v), n)
	}
	var c histCodec
	b, err := c.encode(&s)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodeHistogram reads a histogram in the V2 compressed base64 encoding,
// as written by EncodeHistogram or any HdrHistogram implementation, and
// checks that it has the project geometry, so that it merges exactly. The
// geometry is checked before the counts are inflated, so a hostile header
// cannot make the decoder allocate for a huge range.
func DecodeHistogram(s string) (*hdrhistogram.PackedHistogram, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	var c histCodec
	var sc sparseCounts
	if err := c.decode(raw, &sc); err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return packedOf(&sc), nil
}

// packedOf converts sparse counts to a packed histogram.
func packedOf(s *sparseCounts) *hdrhistogram.PackedHistogram {
	h := NewPackedHistogram()
	for i, idx := range s.idx {
		// In range by construction: indexes come from indexOf or from a
		// payload checked against countsLen.
		_ = h.RecordValues(valueAt(idx), s.cnt[i])
	}
	return h
}

// encodedGeometry is the geometry read from an encoded header.
type encodedGeometry struct{ sig, lowest, highest int64 }

func (g encodedGeometry) LowestTrackableValue() int64  { return g.lowest }
func (g encodedGeometry) HighestTrackableValue() int64 { return g.highest }
func (g encodedGeometry) SignificantFigures() int64    { return g.sig }
