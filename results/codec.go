package results

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// histCodec writes and reads sparse histograms in HdrHistogram's V2
// compressed encoding (base64 is left to the caller), the format every HdrHistogram implementation
// reads. hdrhistogram-go's own codec builds a new compressor (about 1 MB)
// and a slice per count for every histogram; this one reuses its buffers
// and its zlib state, and reads buckets straight into the sparse form,
// which makes a coordinator's decoding of many workers' reports cheap. Tests
// check both directions against hdrhistogram-go.
//
// Worker reports, which a coordinator decodes by the hundred every second,
// use the plain (uncompressed) V2 encoding instead: inflating was most of
// a coordinator's CPU, and loopback or LAN bandwidth is cheap. decode reads
// both.
//
// A histCodec is not safe for concurrent use.
type histCodec struct {
	// plain writes the uncompressed V2 encoding.
	plain bool
	inner bytes.Buffer // header and payload, before compression
	zbuf  bytes.Buffer // compressed
	zw    *zlib.Writer
	zr    io.ReadCloser
	pay   []byte // decompressed payload
}

// V2 encoding constants (HdrHistogram's wire format).
const (
	encodingCookie           = hdrhistogram.V2EncodingCookieBase | 0x10
	compressedEncodingCookie = hdrhistogram.V2CompressedEncodingCookieBase | 0x10
	outerHeaderLen           = 8
	innerHeaderLen           = 40
	maxVarintLen             = 9
)

// encode returns the V2 compressed bytes of s (before base64). The
// returned slice is reused by the next call.
func (c *histCodec) encode(s *sparseCounts) ([]byte, error) {
	c.inner.Reset()
	var hdr [innerHeaderLen]byte
	c.inner.Write(hdr[:]) // filled in below, once the payload length is known
	var vb [maxVarintLen]byte
	next := int32(0) // next index to write
	for i, idx := range s.idx {
		if zeros := int64(idx - next); zeros > 0 {
			if zeros == 1 {
				c.inner.Write(vb[:putZigZag(vb[:], 0)])
			} else {
				c.inner.Write(vb[:putZigZag(vb[:], -zeros)])
			}
		}
		c.inner.Write(vb[:putZigZag(vb[:], s.cnt[i])])
		next = idx + 1
	}
	if len(s.idx) == 0 {
		c.inner.WriteByte(0) // one empty bucket, as the reference encoder writes
	}
	b := c.inner.Bytes()
	binary.BigEndian.PutUint32(b[0:], uint32(encodingCookie))
	binary.BigEndian.PutUint32(b[4:], uint32(len(b)-innerHeaderLen))
	binary.BigEndian.PutUint32(b[8:], 0) // normalizing index offset
	binary.BigEndian.PutUint32(b[12:], SignificantFigures)
	binary.BigEndian.PutUint64(b[16:], uint64(LowestMicros))
	binary.BigEndian.PutUint64(b[24:], uint64(HighestMicros))
	binary.BigEndian.PutUint64(b[32:], math.Float64bits(1))
	if c.plain {
		return b, nil
	}

	c.zbuf.Reset()
	var ob [outerHeaderLen]byte
	c.zbuf.Write(ob[:])
	if c.zw == nil {
		var err error
		if c.zw, err = zlib.NewWriterLevel(&c.zbuf, zlib.BestSpeed); err != nil {
			return nil, fmt.Errorf("encode histogram: %w", err)
		}
	} else {
		c.zw.Reset(&c.zbuf)
	}
	if _, err := c.zw.Write(b); err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	if err := c.zw.Close(); err != nil {
		return nil, fmt.Errorf("encode histogram: %w", err)
	}
	z := c.zbuf.Bytes()
	binary.BigEndian.PutUint32(z[0:], uint32(compressedEncodingCookie))
	binary.BigEndian.PutUint32(z[4:], uint32(len(z)-outerHeaderLen))
	return z, nil
}

// decode reads V2 bytes, compressed or plain (after base64), into dst,
// which it resets first. It rejects any geometry other than the project's
// before inflating the counts, and payloads that are truncated, oversized
// or inconsistent.
func (c *histCodec) decode(raw []byte, dst *sparseCounts) error {
	dst.reset()
	var err error
	if len(raw) < outerHeaderLen {
		return fmt.Errorf("histogram of %d bytes is too short", len(raw))
	}
	switch cookie := int32(binary.BigEndian.Uint32(raw[0:])) &^ 0xf0; cookie {
	case hdrhistogram.V2CompressedEncodingCookieBase:
	case hdrhistogram.V2EncodingCookieBase:
		return c.decodePlain(raw, dst)
	default:
		return fmt.Errorf("histogram cookie %#x is not V2", cookie)
	}
	zlen := binary.BigEndian.Uint32(raw[4:])
	if uint64(zlen) > uint64(len(raw)-outerHeaderLen) {
		return fmt.Errorf("histogram claims %d compressed bytes, has %d", zlen, len(raw)-outerHeaderLen)
	}
	zr := bytes.NewReader(raw[outerHeaderLen : outerHeaderLen+int(zlen)])
	if c.zr == nil {
		if c.zr, err = zlib.NewReader(zr); err != nil {
			return fmt.Errorf("histogram zlib: %w", err)
		}
	} else if err := c.zr.(zlib.Resetter).Reset(zr, nil); err != nil {
		return fmt.Errorf("histogram zlib: %w", err)
	}
	var hdr [innerHeaderLen]byte
	if _, err := io.ReadFull(c.zr, hdr[:]); err != nil {
		return fmt.Errorf("histogram header: %w", err)
	}
	if cookie := int32(binary.BigEndian.Uint32(hdr[0:])) &^ 0xf0; cookie != hdrhistogram.V2EncodingCookieBase {
		return fmt.Errorf("histogram inner cookie %#x is not V2", cookie)
	}
	g := encodedGeometry{
		sig:     int64(int32(binary.BigEndian.Uint32(hdr[12:]))),
		lowest:  int64(binary.BigEndian.Uint64(hdr[16:])),
		highest: int64(binary.BigEndian.Uint64(hdr[24:])),
	}
	if err := checkGeometry(g); err != nil {
		return err
	}
	plen := binary.BigEndian.Uint32(hdr[4:])
	if uint64(plen) > countsLen*maxVarintLen {
		return fmt.Errorf("histogram payload of %d bytes exceeds the %d its geometry allows", plen, countsLen*maxVarintLen)
	}
	if cap(c.pay) < int(plen)+1 {
		c.pay = make([]byte, plen+1)
	}
	// Read one byte more than announced, to catch trailing data; reaching
	// the end also makes zlib verify its checksum.
	got, err := io.ReadFull(c.zr, c.pay[:plen+1])
	if err != io.ErrUnexpectedEOF && err != io.EOF && err != nil {
		return fmt.Errorf("histogram payload: %w", err)
	}
	if got != int(plen) {
		return fmt.Errorf("histogram payload has %d bytes, header says %d", got, plen)
	}
	return parsePayload(c.pay[:plen], dst)
}

// decodePlain reads the uncompressed V2 encoding: the inner header and the
// payload, with nothing around them.
func (c *histCodec) decodePlain(raw []byte, dst *sparseCounts) error {
	if len(raw) < innerHeaderLen {
		return fmt.Errorf("histogram of %d bytes is too short", len(raw))
	}
	g := encodedGeometry{
		sig:     int64(int32(binary.BigEndian.Uint32(raw[12:]))),
		lowest:  int64(binary.BigEndian.Uint64(raw[16:])),
		highest: int64(binary.BigEndian.Uint64(raw[24:])),
	}
	if err := checkGeometry(g); err != nil {
		return err
	}
	plen := binary.BigEndian.Uint32(raw[4:])
	if got := len(raw) - innerHeaderLen; uint64(plen) != uint64(got) {
		return fmt.Errorf("histogram payload has %d bytes, header says %d", got, plen)
	}
	return parsePayload(raw[innerHeaderLen:], dst)
}

// parsePayload reads V2 counts: zig-zag LEB128 numbers, positive for a
// count, zero for an empty bucket, negative for a run of empty buckets.
func parsePayload(p []byte, dst *sparseCounts) error {
	var idx int64
	for len(p) > 0 {
		v, n := zigZag(p)
		if n <= 0 {
			return fmt.Errorf("histogram payload: truncated number at bucket %d", idx)
		}
		p = p[n:]
		switch {
		case v < 0:
			if v == math.MinInt64 || -v > countsLen-idx {
				return fmt.Errorf("histogram payload: run of %d empty buckets at %d overflows %d buckets", -v, idx, countsLen)
			}
			idx -= v
		default:
			if idx >= countsLen {
				return fmt.Errorf("histogram payload: bucket %d beyond %d buckets", idx, countsLen)
			}
			if v > 0 {
				if v > math.MaxInt64-dst.total {
					return fmt.Errorf("histogram payload: counts overflow")
				}
				dst.appendBucket(int32(idx), v)
			}
			idx++
		}
	}
	return nil
}

// putZigZag writes v as HdrHistogram's zig-zag LEB128 (at most 9 bytes; the
// ninth carries 8 bits) and returns the length.
func putZigZag(b []byte, v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	for i := 0; i < 8; i++ {
		if u < 0x80 {
			b[i] = byte(u)
			return i + 1
		}
		b[i] = byte(u) | 0x80
		u >>= 7
	}
	b[8] = byte(u)
	return 9
}

// zigZag reads a number written by putZigZag; n is 0 when p is truncated.
func zigZag(p []byte) (v int64, n int) {
	var u uint64
	for i := 0; i < 8; i++ {
		if i >= len(p) {
			return 0, 0
		}
		u |= uint64(p[i]&0x7f) << (7 * i)
		if p[i] < 0x80 {
			return int64(u>>1) ^ -int64(u&1), i + 1
		}
	}
	if len(p) < 9 {
		return 0, 0
	}
	u |= uint64(p[8]) << 56
	return int64(u>>1) ^ -int64(u&1), 9
}
