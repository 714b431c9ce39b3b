package albumsvc

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// BenchmarkStoreWrite is the classic write-only workload: 50 goroutines
// insert 1000 distinct keys each into a fresh store. One op is one insert
// (b.N inserts run in rounds of 50 x 1000, each round on a new store), so
// ns/op and allocs/op are per insert and include map growth, as a real
// start-up burst of POSTs would.
func BenchmarkStoreWrite(b *testing.B) {
	const goroutines, perGoroutine = 50, 1000
	for _, kind := range StoreKinds() {
		b.Run(string(kind), func(b *testing.B) {
			b.ReportAllocs()
			for remaining := b.N; remaining > 0; {
				n := min(remaining, goroutines*perGoroutine)
				remaining -= n
				b.StopTimer()
				st, err := NewStore(kind, DefaultShards)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				workers := min(goroutines, n)
				var wg sync.WaitGroup
				for w := range workers {
					wg.Go(func() {
						// Interleaved ids, as concurrent POSTs get them from
						// one counter.
						a := Album{Title: "Blue Train", Artist: "John Coltrane", Price: 56.99}
						for id := w + 1; id <= n; id += workers {
							a.ID = int64(id)
							st.Put(a)
						}
					})
				}
				wg.Wait()
			}
		})
	}
}

// benchMix runs reads and puts (overwrites) on random ids of a store
// preloaded with 10k albums, from b.RunParallel's GOMAXPROCS goroutines.
// A read is one Get, or with page > 0 one List of page albums (GET
// /albums?limit=page), which holds a lock far longer. One op is one read or
// put.
func benchMix(b *testing.B, readPercent uint32, page int) {
	const keys = 10_000
	for _, kind := range StoreKinds() {
		b.Run(string(kind), func(b *testing.B) {
			st, err := NewStore(kind, DefaultShards)
			if err != nil {
				b.Fatal(err)
			}
			for id := int64(1); id <= keys; id++ {
				st.Put(Album{ID: id, Title: "Jeru", Artist: "Gerry Mulligan", Price: 17.99})
			}
			var seq sync.Mutex
			var seed uint64
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				seq.Lock()
				seed++
				rng := rand.New(rand.NewPCG(seed, 0x5eed))
				seq.Unlock()
				a := Album{Title: "Jeru", Artist: "Gerry Mulligan", Price: 17.99}
				var found int
				for pb.Next() {
					id := int64(rng.Uint32N(keys)) + 1
					if rng.Uint32N(100) < readPercent {
						if page > 0 {
							found += len(st.List(id%(keys-int64(page)), page))
						} else if _, ok := st.Get(id); ok {
							found++
						}
						continue
					}
					a.ID = id
					st.Put(a)
				}
				if found < 0 { // keeps the gets from being optimised away
					b.Error("impossible")
				}
			})
		})
	}
}

// BenchmarkStoreRead90 is the read-heavy mix: 90% gets, 10% puts over 10k
// keys.
func BenchmarkStoreRead90(b *testing.B) { benchMix(b, 90, 0) }

// BenchmarkStoreMix50 is the balanced mix: 50% gets, 50% puts over 10k
// keys.
func BenchmarkStoreMix50(b *testing.B) { benchMix(b, 50, 0) }

// BenchmarkStorePages is the listing-heavy mix: 90% pages of 50 albums,
// 10% puts over 10k keys. It shows what long read-side critical sections
// do to each strategy.
func BenchmarkStorePages(b *testing.B) { benchMix(b, 90, 50) }
