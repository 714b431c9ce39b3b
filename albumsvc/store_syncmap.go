package albumsvc

import (
	"sync"
	"sync/atomic"
)

// syncMapStore uses sync.Map, which needs no lock on the read path. It
// keeps its own count and highest id because sync.Map offers neither
// without a full Range.
type syncMapStore struct {
	m  sync.Map // int64 -> Album
	n  atomic.Int64
	hi atomic.Int64
}

func newSyncMapStore() *syncMapStore { return &syncMapStore{} }

func (s *syncMapStore) Put(a Album) {
	mustBePositive(a.ID)
	if _, loaded := s.m.Swap(a.ID, a); !loaded {
		s.n.Add(1)
	}
	// Raise hi only when needed: overwrites of old ids then cost a shared
	// read, not a contended write.
	for {
		cur := s.hi.Load()
		if a.ID <= cur || s.hi.CompareAndSwap(cur, a.ID) {
			return
		}
	}
}

func (s *syncMapStore) Get(id int64) (Album, bool) {
	v, ok := s.m.Load(id)
	if !ok {
		return Album{}, false
	}
	return v.(Album), true
}

// List walks ids with lock-free loads: never blocks writers, never a
// snapshot.
func (s *syncMapStore) List(after int64, limit int) []Album {
	return listFrom(after, s.hi.Load(), limit, s.Get)
}

func (s *syncMapStore) Len() int { return int(s.n.Load()) }
