package results

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// EncodeHistogram returns h in HdrHistogram's V2 compressed encoding,
// base64: the format other HdrHistogram implementations read.
func EncodeHistogram(h *hdrhistogram.PackedHistogram) (string, error) {
	b, err := h.Encode()
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// DecodeHistogram reads a histogram written by EncodeHistogram (or by any
// HdrHistogram implementation in the V2 compressed base64 format) and checks
// that it has the project geometry, so that it merges exactly. The geometry
// is checked before the counts are inflated, so a hostile header cannot make
// the decoder allocate for a huge range.
func DecodeHistogram(s string) (*hdrhistogram.PackedHistogram, error) {
	if err := checkEncodedGeometry(s); err != nil {
		return nil, err
	}
	h, err := hdrhistogram.DecodePacked([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	if err := checkGeometry(h); err != nil {
		return nil, err
	}
	return h, nil
}

// V2 encoding layout: an 8-byte outer header (cookie, compressed length)
// and a zlib stream whose first 40 bytes are the inner header.
const (
	outerHeaderLen = 8
	innerHeaderLen = 40
)

// checkEncodedGeometry inflates only the inner header of an encoded
// histogram and compares its geometry with the project's.
func checkEncodedGeometry(s string) error {
	// Only the outer header and the start of the zlib stream are needed;
	// decode a prefix rather than the whole string.
	prefix := s
	if n := base64.StdEncoding.EncodedLen(outerHeaderLen + 1024); len(prefix) > n {
		prefix = prefix[:n]
	}
	raw, err := base64.StdEncoding.DecodeString(prefix)
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	if len(raw) < outerHeaderLen {
		return fmt.Errorf("decode histogram: %d bytes is too short for a V2 histogram", len(raw))
	}
	if cookie := int32(binary.BigEndian.Uint32(raw[0:4])) &^ 0xf0; cookie != hdrhistogram.V2CompressedEncodingCookieBase {
		return fmt.Errorf("decode histogram: cookie %#x is not V2 compressed", cookie)
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[outerHeaderLen:]))
	if err != nil {
		return fmt.Errorf("decode histogram: %w", err)
	}
	defer z.Close()
	var hdr [innerHeaderLen]byte
	if _, err := io.ReadFull(z, hdr[:]); err != nil {
		return fmt.Errorf("decode histogram header: %w", err)
	}
	g := encodedGeometry{
		sig:     int64(int32(binary.BigEndian.Uint32(hdr[12:16]))),
		lowest:  int64(binary.BigEndian.Uint64(hdr[16:24])),
		highest: int64(binary.BigEndian.Uint64(hdr[24:32])),
	}
	return checkGeometry(g)
}

// encodedGeometry is the geometry read from an encoded header.
type encodedGeometry struct{ sig, lowest, highest int64 }

func (g encodedGeometry) LowestTrackableValue() int64  { return g.lowest }
func (g encodedGeometry) HighestTrackableValue() int64 { return g.highest }
func (g encodedGeometry) SignificantFigures() int64    { return g.sig }
