package client

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
)

// keeper keeps the first bytes of a body, up to a limit, for a request
// that asked for them; everything after is only counted.
type keeper struct {
	on        bool
	limit     int
	buf       []byte
	truncated bool
}

// keptRetain is the largest kept buffer a client holds on to between
// requests; a larger one, grown by one big body, is let go.
const keptRetain = 64 << 10

// reset prepares for a new body, kept when on.
func (k *keeper) reset(on bool, limit int) {
	k.on, k.limit, k.truncated = on, limit, false
	if cap(k.buf) > keptRetain {
		k.buf = nil
	}
	k.buf = k.buf[:0]
}

// write keeps what fits of p.
func (k *keeper) write(p []byte) {
	if !k.on || len(p) == 0 {
		return
	}
	room := k.limit - len(k.buf)
	if len(p) > room {
		p = p[:max(room, 0)]
		k.truncated = true
	}
	k.buf = append(k.buf, p...)
}

// fill puts the kept prefix in resp.
func (k *keeper) fill(resp *Response) {
	if k.on {
		resp.Body, resp.Truncated = k.buf, k.truncated
	}
}

// Chunked framing limits: a chunk-size line (with extensions) and the
// trailer block are metadata, and bounded like a header.
const maxChunkLine = 4 << 10

// errChunk is a chunked body that breaks the framing rules.
var errChunk = errors.New("malformed chunked encoding")

// readFixed consumes n body bytes from br, counting and keeping them, and
// returns how many it consumed. It reads what the connection delivers, a
// buffer at a time, so a declared length costs nothing until its bytes
// arrive. A body cut short is io.ErrUnexpectedEOF.
func readFixed(br *bufio.Reader, n int64, k *keeper) (int64, error) {
	var done int64
	for done < n {
		if br.Buffered() == 0 {
			if _, err := br.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return done, err
			}
		}
		b, _ := br.Peek(int(min(int64(br.Buffered()), n-done)))
		k.write(b)
		_, _ = br.Discard(len(b))
		done += int64(len(b))
	}
	return done, nil
}

// readToClose consumes a body delimited by the end of the connection.
func readToClose(br *bufio.Reader, k *keeper) (int64, error) {
	var done int64
	for {
		if br.Buffered() == 0 {
			if _, err := br.Peek(1); err != nil {
				if err == io.EOF {
					return done, nil
				}
				return done, err
			}
		}
		b, _ := br.Peek(br.Buffered())
		k.write(b)
		_, _ = br.Discard(len(b))
		done += int64(len(b))
	}
}

// readChunked consumes a chunked body and its trailer; maxTrailer bounds
// the trailer block. Chunk sizes are trusted no more than Content-Length:
// each chunk is read as its bytes arrive.
func readChunked(br *bufio.Reader, k *keeper, maxTrailer int) (int64, error) {
	var total int64
	for {
		size, err := readChunkSize(br)
		if err != nil {
			return total, err
		}
		if size == 0 {
			return total, skipTrailer(br, maxTrailer)
		}
		n, err := readFixed(br, size, k)
		total += n
		if err != nil {
			return total, err
		}
		if err := expectCRLF(br); err != nil {
			return total, err
		}
	}
}

// readChunkSize parses a chunk-size line: hexadecimal digits, optional
// extensions after ';', CRLF.
func readChunkSize(br *bufio.Reader) (int64, error) {
	line, err := readLine(br, maxChunkLine)
	if err != nil {
		return 0, err
	}
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t")
	if len(line) == 0 || len(line) > 16 {
		return 0, errChunk
	}
	var n int64
	for _, c := range line {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, errChunk
		}
		if n > math.MaxInt64>>4 {
			return 0, errChunk
		}
		n = n<<4 | int64(d)
	}
	return n, nil
}

// readLine returns one CRLF- (or LF-) terminated line without its end, of
// at most limit bytes. The slice is valid until the next read from br.
func readLine(br *bufio.Reader, limit int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull || len(line) > limit:
		return nil, errChunk
	case err == io.EOF:
		return nil, io.ErrUnexpectedEOF
	case err != nil:
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

func expectCRLF(br *bufio.Reader) error {
	line, err := readLine(br, 2)
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return errChunk
	}
	return nil
}

// skipTrailer consumes trailer lines up to the empty line that ends them.
func skipTrailer(br *bufio.Reader, limit int) error {
	for used := 0; ; {
		line, err := readLine(br, maxChunkLine)
		if err != nil {
			return err
		}
		if len(line) == 0 {
			return nil
		}
		if used += len(line) + 2; used > limit {
			return errChunk
		}
	}
}
