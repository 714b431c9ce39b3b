package results

import (
	"sync"
	"sync/atomic"
)

// Rows is the list of a run's statistics entries, which grows as requests
// name new ones: a Go task may record under any name it likes, as a
// locustfile's name= does. An entry's index never changes, so recorders
// address entries by index on the hot path; looking a key up is a map
// read without a lock. It is safe for concurrent use.
type Rows struct {
	mu   sync.Mutex // serialises additions
	keys atomic.Pointer[[]EntryKey]
	idx  atomic.Pointer[map[EntryKey]int]
}

// NewRows returns a list holding keys, at their positions; a key given
// twice keeps its first position.
func NewRows(keys ...EntryKey) *Rows {
	r := &Rows{}
	list := make([]EntryKey, 0, len(keys))
	idx := make(map[EntryKey]int, len(keys))
	for _, k := range keys {
		if _, ok := idx[k]; !ok {
			idx[k] = len(list)
			list = append(list, k)
		}
	}
	r.keys.Store(&list)
	r.idx.Store(&idx)
	return r
}

// Index returns key's index, adding the key at the end when it is new.
func (r *Rows) Index(key EntryKey) int {
	if i, ok := (*r.idx.Load())[key]; ok {
		return i
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.idx.Load()
	if i, ok := old[key]; ok {
		return i
	}
	// Copy on write: readers keep the map they loaded, so a new entry
	// costs a copy, which happens once per entry name in a run.
	idx := make(map[EntryKey]int, len(old)+1)
	for k, v := range old {
		idx[k] = v
	}
	keys := append(*r.keys.Load(), key)
	keys = keys[:len(keys):len(keys)]
	idx[key] = len(keys) - 1
	r.keys.Store(&keys)
	r.idx.Store(&idx)
	return len(keys) - 1
}

// Lookup returns key's index without adding it.
func (r *Rows) Lookup(key EntryKey) (int, bool) {
	i, ok := (*r.idx.Load())[key]
	return i, ok
}

// Keys returns the entries, in index order. The slice must not be
// modified; later additions do not change it.
func (r *Rows) Keys() []EntryKey { return *r.keys.Load() }

// Len is the number of entries.
func (r *Rows) Len() int { return len(*r.keys.Load()) }
