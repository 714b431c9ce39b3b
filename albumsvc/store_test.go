package albumsvc

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// newStores returns one fresh store of every kind; the sharded one gets an
// odd shard count so that tests exercise the hash rather than a power of
// two.
func newStores(t testing.TB) map[StoreKind]Store {
	t.Helper()
	out := make(map[StoreKind]Store)
	for _, k := range StoreKinds() {
		st, err := NewStore(k, 7)
		if err != nil {
			t.Fatalf("NewStore(%s): %v", k, err)
		}
		out[k] = st
	}
	return out
}

func album(id int64) Album {
	return Album{ID: id, Title: fmt.Sprintf("T%d", id), Artist: fmt.Sprintf("A%d", id), Price: float64(id)}
}

func ids(as []Album) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// TestStoreConformance runs one behavioural table against every store.
func TestStoreConformance(t *testing.T) {
	type listCase struct {
		after   int64
		limit   int
		wantIDs []int64
	}
	tests := []struct {
		name    string
		puts    []Album
		wantLen int
		gets    map[int64]bool // id -> present
		lists   []listCase
	}{
		{
			name:    "empty",
			wantLen: 0,
			gets:    map[int64]bool{1: false, 100: false},
			lists:   []listCase{{0, -1, []int64{}}, {0, 10, []int64{}}, {5, 10, []int64{}}},
		},
		{
			name:    "dense ids put out of order",
			puts:    []Album{album(3), album(1), album(5), album(2), album(4)},
			wantLen: 5,
			gets:    map[int64]bool{1: true, 3: true, 5: true, 6: false},
			lists: []listCase{
				{0, -1, []int64{1, 2, 3, 4, 5}},
				{0, 2, []int64{1, 2}},
				{2, 2, []int64{3, 4}},
				{4, 10, []int64{5}},
				{5, 10, []int64{}},
				{99, -1, []int64{}},
				{-3, 1, []int64{1}},
				{0, 0, []int64{}},
			},
		},
		{
			name:    "gaps are skipped",
			puts:    []Album{album(10), album(2), album(7)},
			wantLen: 3,
			gets:    map[int64]bool{2: true, 3: false, 7: true, 10: true},
			lists: []listCase{
				{0, -1, []int64{2, 7, 10}},
				{0, 2, []int64{2, 7}},
				{2, 1, []int64{7}},
				{7, -1, []int64{10}},
			},
		},
		{
			name:    "put replaces",
			puts:    []Album{album(1), {ID: 1, Title: "new", Artist: "new", Price: 1.5}, album(2)},
			wantLen: 2,
			gets:    map[int64]bool{1: true, 2: true},
			lists:   []listCase{{0, -1, []int64{1, 2}}},
		},
	}
	for kind := range newStores(t) {
		for _, tc := range tests {
			t.Run(string(kind)+"/"+tc.name, func(t *testing.T) {
				st := newStores(t)[kind]
				want := make(map[int64]Album)
				for _, a := range tc.puts {
					st.Put(a)
					want[a.ID] = a
				}
				if got := st.Len(); got != tc.wantLen {
					t.Errorf("Len() = %d, want %d", got, tc.wantLen)
				}
				for id, present := range tc.gets {
					got, ok := st.Get(id)
					if ok != present {
						t.Errorf("Get(%d) found = %v, want %v", id, ok, present)
					}
					if ok && got != want[id] {
						t.Errorf("Get(%d) = %+v, want %+v", id, got, want[id])
					}
				}
				for _, lc := range tc.lists {
					got := st.List(lc.after, lc.limit)
					if got == nil {
						t.Errorf("List(%d, %d) = nil, want a non-nil slice (it encodes as [])", lc.after, lc.limit)
					}
					if !reflect.DeepEqual(ids(got), lc.wantIDs) {
						t.Errorf("List(%d, %d) ids = %v, want %v", lc.after, lc.limit, ids(got), lc.wantIDs)
					}
					for _, a := range got {
						if a != want[a.ID] {
							t.Errorf("List(%d, %d) has %+v, want %+v", lc.after, lc.limit, a, want[a.ID])
						}
					}
				}
			})
		}
	}
}

func TestStorePutRejectsNonPositiveID(t *testing.T) {
	for kind, st := range newStores(t) {
		for _, id := range []int64{0, -1} {
			t.Run(fmt.Sprintf("%s/%d", kind, id), func(t *testing.T) {
				defer func() {
					if recover() == nil {
						t.Errorf("Put(id %d) did not panic", id)
					}
				}()
				st.Put(album(id))
			})
		}
	}
}

// TestStoreConcurrent hammers every store with writers, readers and
// listers at once; under -race this proves the synchronisation, and the
// final contents prove no write was lost.
func TestStoreConcurrent(t *testing.T) {
	const writers, perWriter = 8, 500
	for kind, st := range newStores(t) {
		t.Run(string(kind), func(t *testing.T) {
			var wg sync.WaitGroup
			stop := make(chan struct{})
			for w := range writers {
				wg.Go(func() {
					for i := range perWriter {
						st.Put(album(int64(i*writers + w + 1)))
					}
				})
			}
			var readers sync.WaitGroup
			for range 2 {
				readers.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if a, ok := st.Get(int64(i%(writers*perWriter) + 1)); ok && a != album(a.ID) {
							t.Errorf("Get returned %+v, a value never written", a)
							return
						}
						page := st.List(int64(i%100), 50)
						for j := 1; j < len(page); j++ {
							if page[j].ID <= page[j-1].ID {
								t.Errorf("List out of order: %v", ids(page))
								return
							}
						}
						st.Len()
					}
				})
			}
			wg.Wait()
			close(stop)
			readers.Wait()
			if got := st.Len(); got != writers*perWriter {
				t.Fatalf("Len() = %d, want %d", got, writers*perWriter)
			}
			all := st.List(0, -1)
			if len(all) != writers*perWriter {
				t.Fatalf("List returned %d albums, want %d", len(all), writers*perWriter)
			}
			for i, a := range all {
				if a != album(int64(i+1)) {
					t.Fatalf("List()[%d] = %+v, want %+v", i, a, album(int64(i+1)))
				}
			}
		})
	}
}

func TestNewStoreErrors(t *testing.T) {
	tests := []struct {
		kind   StoreKind
		shards int
		want   string
	}{
		{"btree", 0, `unknown store "btree"`},
		{"", 0, `unknown store ""`},
		{StoreSharded, -1, "shard count -1 is out of range"},
		{StoreSharded, MaxShards + 1, "out of range"},
	}
	for _, tc := range tests {
		_, err := NewStore(tc.kind, tc.shards)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewStore(%q, %d) error = %v, want it to contain %q", tc.kind, tc.shards, err, tc.want)
		}
	}
}
