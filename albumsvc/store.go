package albumsvc

import (
	"fmt"
	"strings"
)

// Store holds albums by id. Implementations differ only in how they
// synchronise; each is safe for concurrent use and behaves the same, which
// one conformance table checks for all of them.
//
// A Store does not assign ids: the service does, so that a journal can
// write a record under its final id before the album becomes visible.
type Store interface {
	// Put stores a under a.ID (which must be positive), replacing any album
	// with that id.
	Put(a Album)
	// Get returns the album with the given id.
	Get(id int64) (Album, bool)
	// List returns up to limit albums with ids greater than after, in id
	// order. It walks ids upwards rather than sorting keys, so a page costs
	// O(limit) when ids are dense, as the service keeps them. A negative
	// limit means no limit. Under
	// concurrent Puts a listing is not a snapshot: an album whose Put has
	// not returned may be missing while a later id is present.
	List(after int64, limit int) []Album
	// Len returns the number of albums stored.
	Len() int
}

// StoreKind names a store strategy, as accepted by --store.
type StoreKind string

// The four store strategies.
const (
	// StoreMutex guards one map with a sync.Mutex.
	StoreMutex StoreKind = "mutex"
	// StoreRWMutex guards one map with a sync.RWMutex, so reads can overlap.
	StoreRWMutex StoreKind = "rwmutex"
	// StoreSyncMap uses sync.Map.
	StoreSyncMap StoreKind = "syncmap"
	// StoreSharded spreads ids over N maps, each behind its own
	// sync.RWMutex, chosen by a hash of the id.
	StoreSharded StoreKind = "sharded"
)

// StoreKinds lists every strategy, in the order documentation and
// benchmarks present them.
func StoreKinds() []StoreKind {
	return []StoreKind{StoreMutex, StoreRWMutex, StoreSyncMap, StoreSharded}
}

// ParseStoreKind checks a strategy name, so that flag parsing and Config
// validation reject the same values with the same message.
func ParseStoreKind(s string) (StoreKind, error) {
	for _, k := range StoreKinds() {
		if s == string(k) {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown store %q: want one of %s", s, joinKinds(StoreKinds()))
}

func joinKinds[T ~string](kinds []T) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// DefaultShards is the shard count used when none is given: a few per core
// on small machines keeps collisions rare without wasting memory.
const DefaultShards = 16

// MaxShards bounds --shards; more shards than this only cost memory.
const MaxShards = 1 << 16

// NewStore returns an empty store of the given kind. shards is used only by
// StoreSharded; zero means DefaultShards.
func NewStore(kind StoreKind, shards int) (Store, error) {
	switch kind {
	case StoreMutex:
		return newMutexStore(), nil
	case StoreRWMutex:
		return newRWMutexStore(), nil
	case StoreSyncMap:
		return newSyncMapStore(), nil
	case StoreSharded:
		if shards == 0 {
			shards = DefaultShards
		}
		if shards < 1 || shards > MaxShards {
			return nil, fmt.Errorf("shard count %d is out of range: want 1 to %d", shards, MaxShards)
		}
		return newShardedStore(shards), nil
	}
	_, err := ParseStoreKind(string(kind))
	return nil, err
}

// listFrom collects up to limit albums with ids in (after, hi], walking ids
// upwards and looking each one up with get. Every store lists this way;
// what differs is how get and hi are synchronised. A negative limit means
// no limit.
func listFrom(after, hi int64, limit int, get func(int64) (Album, bool)) []Album {
	after = max(after, 0)
	span := max(hi-after, 0)
	if limit < 0 || int64(limit) > span {
		limit = int(span)
	}
	out := make([]Album, 0, limit)
	for id := after + 1; id <= hi && len(out) < limit; id++ {
		if a, ok := get(id); ok {
			out = append(out, a)
		}
	}
	return out
}
