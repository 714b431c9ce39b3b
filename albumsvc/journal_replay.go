package albumsvc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// replayed is what start-up learns from an existing journal.
type replayed struct {
	albums []Album
	size   int64 // bytes of complete records; anything after is a torn tail
	torn   int64 // bytes of torn tail dropped
}

// openJournal opens (creating if needed) the journal at path, loads its
// records into st, drops a torn last record, and starts the writer.
func openJournal(cfg Config, st Store) (*journal, int, error) {
	f, err := os.OpenFile(cfg.DataFile, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("opening journal: %w", err)
	}
	rep, err := replay(f, cfg.DataFile)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if rep.torn > 0 {
		// Truncate so later appends start on a clean line; otherwise the
		// next record would be glued to the fragment and the whole line
		// would read as corruption at the next start.
		if err := f.Truncate(rep.size); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("dropping torn tail of journal %s: %w", cfg.DataFile, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("syncing journal %s after dropping its torn tail: %w", cfg.DataFile, err)
		}
		cfg.Logger.Warn("journal ended in a torn record (an interrupted write); dropped it",
			"path", cfg.DataFile, "line", len(rep.albums)+1, "bytes", rep.torn)
	}
	var lastID int64
	for _, a := range rep.albums {
		st.Put(a)
		lastID = a.ID
	}
	var jf journalFile = f
	if cfg.wrapJournal != nil {
		jf = cfg.wrapJournal(jf)
	}
	return startJournal(jf, cfg.DataFile, cfg.Fsync, cfg.Logger, rep.size, lastID), len(rep.albums), nil
}

// replay reads every record of a journal. Records are JSON lines with ids
// 1, 2, 3, ... in order. Only the bytes after the last newline may be
// damaged: that is what an interrupted append leaves, and no write there was
// ever acknowledged under FsyncAlways. Any damage before that is real
// corruption, reported with its line so an operator can inspect it.
func replay(r io.Reader, path string) (replayed, error) {
	var rep replayed
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err == io.EOF {
			rep.torn = int64(len(b))
			return rep, nil
		}
		if err != nil {
			return rep, fmt.Errorf("reading journal %s at line %d: %w", path, line, err)
		}
		a, err := parseRecord(b[:len(b)-1])
		if err == nil && a.ID != int64(len(rep.albums))+1 {
			err = fmt.Errorf("id %d out of sequence, want %d", a.ID, len(rep.albums)+1)
		}
		if err != nil {
			return rep, fmt.Errorf("journal %s is corrupt at line %d: %w", path, line, err)
		}
		rep.albums = append(rep.albums, a)
		rep.size += int64(len(b))
	}
}

// journalRecord has pointer fields so that a missing field is told apart
// from a zero one.
type journalRecord struct {
	ID     *int64   `json:"id"`
	Title  *string  `json:"title"`
	Artist *string  `json:"artist"`
	Price  *float64 `json:"price"`
}

func parseRecord(b []byte) (Album, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var rec journalRecord
	if err := dec.Decode(&rec); err != nil {
		return Album{}, fmt.Errorf("not a valid album record: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Album{}, errors.New("unexpected data after the album record")
	}
	switch {
	case rec.ID == nil || *rec.ID < 1:
		return Album{}, errors.New("missing or non-positive id")
	case rec.Title == nil || strings.TrimSpace(*rec.Title) == "":
		return Album{}, errors.New("missing title")
	case rec.Artist == nil || strings.TrimSpace(*rec.Artist) == "":
		return Album{}, errors.New("missing artist")
	case rec.Price == nil || *rec.Price < 0:
		return Album{}, errors.New("missing or negative price")
	}
	return Album{ID: *rec.ID, Title: *rec.Title, Artist: *rec.Artist, Price: *rec.Price}, nil
}
