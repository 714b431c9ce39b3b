package albumsvc

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// faultyFile wraps the real journal file to count fsyncs and to inject
// failures the way a full or failing disk would.
type faultyFile struct {
	journalFile
	mu       sync.Mutex
	writeErr error // when set, Write writes partial bytes and fails
	partial  int
	syncErr  error
	syncs    int
	// When hold is set, each Sync signals entered and waits for release.
	hold    bool
	entered chan struct{}
	release chan struct{}
}

func newFaultyFile(f journalFile) *faultyFile {
	return &faultyFile{journalFile: f, entered: make(chan struct{}, 100), release: make(chan struct{}, 100)}
}

func (f *faultyFile) Write(b []byte) (int, error) {
	f.mu.Lock()
	err, partial := f.writeErr, f.partial
	f.mu.Unlock()
	if err != nil {
		n, _ := f.journalFile.Write(b[:min(partial, len(b))])
		return n, err
	}
	return f.journalFile.Write(b)
}

func (f *faultyFile) Sync() error {
	f.mu.Lock()
	f.syncs++
	hold, err := f.hold, f.syncErr
	f.mu.Unlock()
	if hold {
		f.entered <- struct{}{}
		<-f.release
	}
	if err != nil {
		return err
	}
	return f.journalFile.Sync()
}

func (f *faultyFile) set(fn func(f *faultyFile)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *faultyFile) syncCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs
}

// newFaultyService starts a service whose journal file is wrapped. Its
// Close error is left to each test, since injected faults make it fail.
func newFaultyService(t *testing.T, cfg Config) (*Service, *faultyFile) {
	t.Helper()
	var ff *faultyFile
	cfg.wrapJournal = func(f journalFile) journalFile {
		ff = newFaultyFile(f)
		return ff
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, ff
}

func post(t *testing.T, s *Service, title string) response {
	t.Helper()
	return serve(t, s.Handler(), "POST", "/albums", jsonCT,
		fmt.Sprintf(`{"title":%q,"artist":"Artist","price":9.5}`, title))
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(string(b), "\n")
}

func record(id int64) string {
	return fmt.Sprintf(`{"id":%d,"title":"T%d","artist":"A%d","price":%d}`+"\n", id, id, id, id)
}

// TestJournalRestartRecoversEverything writes albums concurrently under
// each policy, restarts, and expects the identical catalogue, with
// preloading not repeated and new ids continuing the sequence.
func TestJournalRestartRecoversEverything(t *testing.T) {
	for _, policy := range append(FsyncPolicies(), fsyncEachRequest) {
		t.Run(string(policy), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "albums.jsonl")
			cfg := Config{Store: StoreSharded, DataFile: path, Fsync: policy, Preload: 3}
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					for i := range 25 {
						if r := post(t, s, fmt.Sprintf("g%d-%d", g, i)); r.status != http.StatusCreated {
							t.Errorf("POST: %d %s", r.status, r.body)
						}
					}
				})
			}
			wg.Wait()
			before := s.store.List(0, -1)
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if len(before) != 203 {
				t.Fatalf("%d albums before restart, want 203", len(before))
			}

			cfg.Store, cfg.Preload = StoreMutex, 10
			s2 := newTestService(t, cfg)
			if after := s2.store.List(0, -1); !reflect.DeepEqual(after, before) {
				t.Fatalf("after restart %d albums, want the %d from before, identical", len(after), len(before))
			}
			if r := post(t, s2, "next"); r.status != http.StatusCreated || !strings.Contains(r.body, `"id":204`) {
				t.Errorf("POST after restart = %d %s, want 201 with id 204", r.status, r.body)
			}
		})
	}
}

func TestJournalTornTail(t *testing.T) {
	good := record(1) + record(2) + record(3)
	tests := []struct {
		name string
		tail string
	}{
		{"half a record", `{"id":4,"title":"T`},
		{"record without its newline", strings.TrimSuffix(record(4), "\n")},
		{"zero-filled block", "\x00\x00\x00\x00\x00\x00\x00\x00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "albums.jsonl")
			if err := os.WriteFile(path, []byte(good+tc.tail), 0o644); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			cfg := Config{DataFile: path, Preload: 3, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			s := newTestService(t, cfg)
			if n := s.store.Len(); n != 3 {
				t.Fatalf("recovered %d albums, want 3", n)
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "torn record") ||
				!strings.Contains(logs.String(), "line=4") {
				t.Errorf("log does not warn about the torn record on line 4:\n%s", logs.String())
			}
			if b, _ := os.ReadFile(path); string(b) != good {
				t.Errorf("journal not truncated to the last good record:\n%q", b)
			}
			if r := post(t, s, "fresh"); r.status != http.StatusCreated || !strings.Contains(r.body, `"id":4`) {
				t.Fatalf("POST = %d %s, want 201 with id 4", r.status, r.body)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			logs.Reset()
			s2 := newTestService(t, cfg)
			if n := s2.store.Len(); n != 4 || strings.Contains(logs.String(), "WARN") {
				t.Errorf("second restart: %d albums (want 4), log:\n%s", n, logs.String())
			}
		})
	}
}

func TestJournalCorruptionNamesTheLine(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"garbage line", record(1) + "garbage\n" + record(2), "line 2: not a valid album record"},
		{"empty line", record(1) + "\n" + record(2), "line 2"},
		{"unknown field", record(1) + `{"id":2,"title":"t","artist":"a","price":1,"x":1}` + "\n", `line 2: not a valid album record: json: unknown field "x"`},
		{"duplicate id", record(1) + record(2) + record(2), "line 3: id 2 out of sequence, want 3"},
		{"gap in ids", record(1) + record(3), "line 2: id 3 out of sequence, want 2"},
		{"missing title", `{"id":1,"artist":"a","price":1}` + "\n", "line 1: missing title"},
		{"negative price", `{"id":1,"title":"t","artist":"a","price":-1}` + "\n", "line 1: missing or negative price"},
		{"extra brace", record(1) + `{"id":2,"title":"t","artist":"a","price":1}}` + "\n", "line 2: unexpected data"},
		{"corrupt last complete line", record(1) + record(2) + "{\"id\":3,\"ti\n", "line 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "albums.jsonl")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := New(Config{DataFile: path})
			if err == nil {
				s.Close()
				t.Fatalf("New succeeded on a corrupt journal")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error = %q, want it to name %s and contain %q", err, path, tc.want)
			}
			if b, _ := os.ReadFile(path); string(b) != tc.content {
				t.Errorf("a corrupt journal was modified")
			}
		})
	}
}

// TestJournalWriteFailure simulates a full disk: the POST gets a 503 with a
// JSON error, the album never becomes visible, its partial record is cut
// off, and once the disk recovers the ids carry on without a gap.
func TestJournalWriteFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "albums.jsonl")
	s, ff := newFaultyService(t, Config{DataFile: path, Preload: 1})
	ff.set(func(f *faultyFile) { f.writeErr, f.partial = syscall.ENOSPC, 10 })

	r := post(t, s, "lost")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "no space left on device") {
		t.Fatalf("POST on a full disk = %d %s, want 503 naming the cause", r.status, r.body)
	}
	if n := s.store.Len(); n != 1 {
		t.Errorf("store holds %d albums after a failed write, want 1", n)
	}
	if g := serve(t, s.Handler(), "GET", "/albums/2", "", ""); g.status != http.StatusNotFound {
		t.Errorf("GET /albums/2 after the failed write = %d, want 404", g.status)
	}
	if lines := readLines(t, path); len(lines) != 2 || lines[1] != "" {
		t.Errorf("journal keeps a partial record: %q", lines)
	}

	ff.set(func(f *faultyFile) { f.writeErr = nil })
	if r := post(t, s, "kept"); r.status != http.StatusCreated || !strings.Contains(r.body, `"id":2`) {
		t.Fatalf("POST after the disk recovered = %d %s, want 201 with id 2", r.status, r.body)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := newTestService(t, Config{DataFile: path})
	if a, ok := s2.store.Get(2); !ok || a.Title != "kept" || s2.store.Len() != 2 {
		t.Errorf("after restart: album 2 = %+v (found %v), %d albums; want \"kept\" and 2", a, ok, s2.store.Len())
	}
}

// TestJournalFsyncFailureIsFinal checks that after a failed fsync nothing
// more is acknowledged, since the kernel may have dropped the data.
func TestJournalFsyncFailureIsFinal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "albums.jsonl")
	s, ff := newFaultyService(t, Config{DataFile: path})
	ff.set(func(f *faultyFile) { f.syncErr = syscall.EIO })
	if r := post(t, s, "a"); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "fsync") {
		t.Fatalf("POST with failing fsync = %d %s, want 503 naming fsync", r.status, r.body)
	}
	ff.set(func(f *faultyFile) { f.syncErr = nil })
	if r := post(t, s, "b"); r.status != http.StatusServiceUnavailable {
		t.Fatalf("POST after a failed fsync = %d %s, want 503", r.status, r.body)
	}
	if n := s.store.Len(); n != 0 {
		t.Errorf("store holds %d albums, want 0", n)
	}
	if b, _ := os.ReadFile(path); len(b) != 0 {
		t.Errorf("journal keeps unsynced records: %q", b)
	}
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "fsync") {
		t.Errorf("Close = %v, want the fsync failure reported", err)
	}
}

// TestGroupCommit holds the first fsync while more albums arrive and checks
// they all share the second fsync, while the per-request baseline pays one
// fsync each.
func TestGroupCommit(t *testing.T) {
	const waiting = 10
	tests := []struct {
		policy    FsyncPolicy
		wantSyncs int
	}{
		{FsyncAlways, 2},
		{fsyncEachRequest, 1 + waiting},
	}
	for _, tc := range tests {
		t.Run(string(tc.policy), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "albums.jsonl")
			s, ff := newFaultyService(t, Config{DataFile: path, Fsync: tc.policy})
			ff.set(func(f *faultyFile) { f.hold = true })

			results := make(chan Album, 1+waiting)
			commit := func() {
				a, err := s.create(Album{Title: "t", Artist: "a", Price: 1})
				if err != nil {
					t.Error(err)
				}
				results <- a
			}
			go commit()
			<-ff.entered // the first album is in its fsync
			for range waiting {
				go commit()
			}
			deadline := time.Now().Add(10 * time.Second)
			for len(s.journal.reqs) < waiting && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if n := len(s.journal.reqs); n != waiting {
				t.Fatalf("%d albums queued behind the fsync, want %d", n, waiting)
			}
			// Let every fsync through from now on, counting them, so that a
			// writer that batches less than it should still finishes.
			ff.set(func(f *faultyFile) { f.hold = false })
			ff.release <- struct{}{}
			seen := make(map[int64]bool)
			timeout := time.After(10 * time.Second)
			for range 1 + waiting {
				select {
				case a := <-results:
					seen[a.ID] = true
				case <-timeout:
					t.Fatalf("albums still waiting for the journal after 10s; %d answered", len(seen))
				}
			}
			for id := int64(1); id <= 1+waiting; id++ {
				if !seen[id] {
					t.Errorf("id %d was not assigned; got %v", id, seen)
				}
			}
			if got := ff.syncCount(); got != tc.wantSyncs {
				t.Errorf("%d fsyncs for %d albums, want %d", got, 1+waiting, tc.wantSyncs)
			}
		})
	}
}

// TestFsyncPolicies checks when each policy reaches the disk: never only at
// Close, interval on its timer, always before answering.
func TestFsyncPolicies(t *testing.T) {
	t.Run("never", func(t *testing.T) {
		s, ff := newFaultyService(t, Config{DataFile: filepath.Join(t.TempDir(), "j"), Fsync: FsyncNever})
		for i := range 5 {
			post(t, s, fmt.Sprint(i))
		}
		if n := ff.syncCount(); n != 0 {
			t.Errorf("%d fsyncs before Close, want 0", n)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if n := ff.syncCount(); n != 1 {
			t.Errorf("%d fsyncs after Close, want 1", n)
		}
	})
	t.Run("interval", func(t *testing.T) {
		s, ff := newFaultyService(t, Config{DataFile: filepath.Join(t.TempDir(), "j"), Fsync: FsyncInterval})
		post(t, s, "x")
		deadline := time.Now().Add(20 * SyncInterval)
		for ff.syncCount() == 0 && time.Now().Before(deadline) {
			time.Sleep(SyncInterval / 10)
		}
		if ff.syncCount() == 0 {
			t.Errorf("no fsync within %v of a write", 20*SyncInterval)
		}
	})
	t.Run("always", func(t *testing.T) {
		s, ff := newFaultyService(t, Config{DataFile: filepath.Join(t.TempDir(), "j"), Fsync: FsyncAlways})
		for i := range 3 {
			post(t, s, fmt.Sprint(i))
			if n := ff.syncCount(); n != i+1 {
				t.Errorf("after %d sequential POSTs, %d fsyncs; want one each", i+1, n)
			}
		}
	})
}

func TestPostAfterCloseIsRefused(t *testing.T) {
	s := newTestService(t, Config{DataFile: filepath.Join(t.TempDir(), "j")})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := post(t, s, "late")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "shutting down") {
		t.Errorf("POST after Close = %d %s, want 503 saying the service is shutting down", r.status, r.body)
	}
	var closed journalClosedError
	if _, err := s.journal.commit(Album{Title: "t", Artist: "a"}); !errors.As(err, &closed) {
		t.Errorf("commit after close = %v, want journalClosedError", err)
	}
}
