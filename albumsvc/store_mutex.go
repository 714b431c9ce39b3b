package albumsvc

import "sync"

// mustBePositive guards the Store contract: ids start at 1, and listings
// walk ids from 1, so a non-positive id could never be listed.
func mustBePositive(id int64) {
	if id < 1 {
		panic("albumsvc: store id must be positive")
	}
}

// mutexStore is the baseline: one map, one lock, and every operation
// (reads included) takes turns.
type mutexStore struct {
	mu sync.Mutex
	m  map[int64]Album
	hi int64 // the largest id stored
}

func newMutexStore() *mutexStore {
	return &mutexStore{m: make(map[int64]Album)}
}

func (s *mutexStore) Put(a Album) {
	mustBePositive(a.ID)
	s.mu.Lock()
	s.m[a.ID] = a
	s.hi = max(s.hi, a.ID)
	s.mu.Unlock()
}

func (s *mutexStore) Get(id int64) (Album, bool) {
	s.mu.Lock()
	a, ok := s.m[id]
	s.mu.Unlock()
	return a, ok
}

// List holds the lock for the whole walk, so a page is a consistent
// snapshot, at the price of stalling every other request meanwhile.
func (s *mutexStore) List(after int64, limit int) []Album {
	s.mu.Lock()
	defer s.mu.Unlock()
	return listFrom(after, s.hi, limit, func(id int64) (Album, bool) {
		a, ok := s.m[id]
		return a, ok
	})
}

func (s *mutexStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// rwMutexStore lets readers overlap; writers still exclude everyone.
type rwMutexStore struct {
	mu sync.RWMutex
	m  map[int64]Album
	hi int64 // the largest id stored
}

func newRWMutexStore() *rwMutexStore {
	return &rwMutexStore{m: make(map[int64]Album)}
}

func (s *rwMutexStore) Put(a Album) {
	mustBePositive(a.ID)
	s.mu.Lock()
	s.m[a.ID] = a
	s.hi = max(s.hi, a.ID)
	s.mu.Unlock()
}

func (s *rwMutexStore) Get(id int64) (Album, bool) {
	s.mu.RLock()
	a, ok := s.m[id]
	s.mu.RUnlock()
	return a, ok
}

// List holds the read lock for the whole walk: a consistent snapshot that
// blocks writers but not other readers.
func (s *rwMutexStore) List(after int64, limit int) []Album {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return listFrom(after, s.hi, limit, func(id int64) (Album, bool) {
		a, ok := s.m[id]
		return a, ok
	})
}

func (s *rwMutexStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}
