package albumsvc

import "sync"

// shard is one slice of the sharded store. The trailing pad keeps the
// locks of neighbouring shards on different cache lines, so that cores
// working on different shards do not invalidate each other's lock word.
type shard struct {
	mu sync.RWMutex
	m  map[int64]Album
	hi int64 // the largest id in this shard
	_  [64]byte
}

// shardedStore spreads ids over independent RWMutex-guarded maps, so
// writers to different shards never contend.
type shardedStore struct {
	shards []shard
}

func newShardedStore(n int) *shardedStore {
	s := &shardedStore{shards: make([]shard, n)}
	for i := range s.shards {
		s.shards[i].m = make(map[int64]Album)
	}
	return s
}

// shardFor hashes the id (Fibonacci hashing) rather than taking id mod n,
// so that ids in arithmetic progressions with a step sharing a factor with
// n still spread over all shards.
func (s *shardedStore) shardFor(id int64) *shard {
	h := uint64(id) * 0x9E3779B97F4A7C15
	return &s.shards[(h>>32)%uint64(len(s.shards))]
}

func (s *shardedStore) Put(a Album) {
	mustBePositive(a.ID)
	sh := s.shardFor(a.ID)
	sh.mu.Lock()
	sh.m[a.ID] = a
	sh.hi = max(sh.hi, a.ID)
	sh.mu.Unlock()
}

func (s *shardedStore) Get(id int64) (Album, bool) {
	sh := s.shardFor(id)
	sh.mu.RLock()
	a, ok := sh.m[id]
	sh.mu.RUnlock()
	return a, ok
}

// List locks one shard per id looked up, so it never stalls the whole
// store, but a page is not a snapshot.
func (s *shardedStore) List(after int64, limit int) []Album {
	var hi int64
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		hi = max(hi, sh.hi)
		sh.mu.RUnlock()
	}
	return listFrom(after, hi, limit, s.Get)
}

func (s *shardedStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}
