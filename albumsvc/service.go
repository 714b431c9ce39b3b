package albumsvc

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
)

// Service is the album API over one store, optionally with a journal.
// Create it with New, serve Handler (or use Serve or Start), and Close it
// to flush the journal.
type Service struct {
	cfg     Config
	log     *slog.Logger
	store   Store
	journal *journal     // nil without a data file
	lastID  atomic.Int64 // the last id assigned, without a journal
	counts  requestCounts
	albums  atomic.Int64 // stored or being stored, against Config.MaxAlbums
	handler http.Handler

	closeOnce sync.Once
	closeErr  error
}

// New builds a service: it validates cfg, creates the store, replays the
// journal if there is one (dropping a torn last record with a warning, and
// failing on corruption anywhere else with the line number), and preloads
// sample albums when the catalogue starts empty.
func New(cfg Config) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := NewStore(cfg.Store, cfg.Shards)
	if err != nil {
		return nil, fmt.Errorf("config Store: %w", err)
	}
	s := &Service{cfg: cfg, log: cfg.Logger, store: st}
	s.handler = s.counts.counting(s.routes())

	recovered := 0
	if cfg.DataFile != "" {
		s.journal, recovered, err = openJournal(cfg, st)
		if err != nil {
			return nil, err
		}
	}
	if recovered == 0 && cfg.Preload > 0 {
		if err := s.preload(cfg.Preload); err != nil {
			return nil, errors.Join(err, s.Close())
		}
	}
	s.albums.Store(int64(st.Len()))
	s.log.Info("album service ready", "store", cfg.Store, "shards", s.shardsForLog(),
		"data", cfg.DataFile, "fsync", s.fsyncForLog(), "recovered", recovered, "albums", st.Len())
	return s, nil
}

func (s *Service) preload(n int) error {
	albums := make([]Album, n)
	for i := range albums {
		albums[i] = preloadAlbum(i)
	}
	if s.journal != nil {
		stored, err := s.journal.commitAll(albums)
		for _, a := range stored {
			s.store.Put(a)
		}
		if err != nil {
			return fmt.Errorf("preloading %d albums into the journal: %w", n, err)
		}
		return nil
	}
	for _, a := range albums {
		a.ID = s.lastID.Add(1)
		s.store.Put(a)
	}
	return nil
}

// create assigns the next id to a and stores it. With a journal the album
// becomes visible only once the journal has accepted it (and, under
// FsyncAlways, once it is on disk), so a failed write leaves no trace.
func (s *Service) create(a Album) (Album, error) {
	if s.albums.Add(1) > int64(s.cfg.MaxAlbums) {
		s.albums.Add(-1)
		return Album{}, errCatalogueFull
	}
	a, err := s.store1(a)
	if err != nil {
		s.albums.Add(-1)
	}
	return a, err
}

// errCatalogueFull refuses an album beyond Config.MaxAlbums.
var errCatalogueFull = errors.New("the catalogue is full")

// store1 assigns the next id to a and stores it.
func (s *Service) store1(a Album) (Album, error) {
	if s.journal == nil {
		a.ID = s.lastID.Add(1)
		s.store.Put(a)
		return a, nil
	}
	a, err := s.journal.commit(a)
	if err != nil {
		return Album{}, err
	}
	s.store.Put(a)
	return a, nil
}

// Handler returns the HTTP API. It may be served by any number of servers
// and is safe for concurrent use.
func (s *Service) Handler() http.Handler { return s.handler }

// Close flushes and fsyncs the journal and closes it. Requests still
// arriving afterwards are answered 503. It is safe to call more than once;
// every call returns the first call's result.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		if s.journal != nil {
			s.closeErr = s.journal.close()
		}
		s.log.Info("album service closed", "albums", s.store.Len(), "err", s.closeErr)
	})
	return s.closeErr
}

func (s *Service) shardsForLog() int {
	if s.cfg.Store != StoreSharded {
		return 0
	}
	return s.cfg.Shards
}

func (s *Service) fsyncForLog() FsyncPolicy {
	if s.cfg.DataFile == "" {
		return ""
	}
	return s.cfg.Fsync
}
