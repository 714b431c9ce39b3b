package albumsvc

import (
	"fmt"
	"log/slog"
	"time"
)

// FsyncPolicy says when an accepted album must be on disk, as accepted by
// --fsync. It matters only with a data file.
type FsyncPolicy string

// The fsync policies a caller can choose.
const (
	// FsyncAlways answers 201 only after the record is on disk. Concurrent
	// POSTs share one fsync (group commit), so durability costs one disk
	// flush per batch rather than per request.
	FsyncAlways FsyncPolicy = "always"
	// FsyncInterval writes at once and fsyncs every SyncInterval: a crash
	// may lose the albums acknowledged during the last interval.
	FsyncInterval FsyncPolicy = "interval"
	// FsyncNever leaves flushing to the operating system: a crash of the
	// machine (not of the process) may lose any recent albums.
	FsyncNever FsyncPolicy = "never"

	// fsyncEachRequest is the naive baseline FsyncAlways is measured
	// against: one write and one fsync per album, no batching. It exists
	// for benchmarks and cannot be chosen from outside the package.
	fsyncEachRequest FsyncPolicy = "each-request"
)

// SyncInterval is how often FsyncInterval flushes the journal, and so the
// window of acknowledged albums a machine crash may lose.
const SyncInterval = 100 * time.Millisecond

// FsyncPolicies lists the policies a caller can choose.
func FsyncPolicies() []FsyncPolicy {
	return []FsyncPolicy{FsyncAlways, FsyncInterval, FsyncNever}
}

// ParseFsyncPolicy checks a policy name, so that flag parsing and Config
// validation reject the same values with the same message.
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	for _, p := range FsyncPolicies() {
		if s == string(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown fsync policy %q: want one of %s", s, joinKinds(FsyncPolicies()))
}

// MaxPreload bounds Config.Preload; a larger catalogue should be loaded
// through the API or a journal.
const MaxPreload = 1_000_000

// DefaultShutdownTimeout is how long Serve waits for in-flight requests
// before cutting connections.
const DefaultShutdownTimeout = 10 * time.Second

// Defaults of the limits that keep one client, or a few thousand, from
// taking the service's memory, descriptors or time from the others.
const (
	// DefaultReadTimeout bounds reading a request, headers and body: a
	// client sending a byte a second holds a connection no longer.
	DefaultReadTimeout = 10 * time.Second
	// DefaultWriteTimeout bounds writing a response to a client that does
	// not read it.
	DefaultWriteTimeout = time.Minute
	// DefaultMaxHeaderBytes bounds a request's header block.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultMaxConns bounds the connections open at once; more wait to
	// be accepted.
	DefaultMaxConns = 10000
	// DefaultMaxFieldBytes bounds an album's title and artist.
	DefaultMaxFieldBytes = 1024
	// DefaultMaxAlbums bounds the catalogue; a POST beyond it gets 507.
	DefaultMaxAlbums = 1_000_000
)

// Config is everything New needs. The zero value is a valid in-memory
// service with a mutex store, no preloaded albums and no logging.
type Config struct {
	// Store picks the store strategy; empty means StoreMutex.
	Store StoreKind
	// Shards is the shard count for StoreSharded; zero means
	// DefaultShards. Other stores ignore it.
	Shards int
	// DataFile, when set, is the journal: the store is rebuilt from it at
	// start and every accepted album is appended to it.
	DataFile string
	// Fsync is the durability policy for DataFile; empty means FsyncAlways.
	Fsync FsyncPolicy
	// Preload is how many sample albums to start with. With a DataFile they
	// are added (and journaled) only when the journal holds no album, so a
	// restart never duplicates them.
	Preload int
	// Logger receives start-up, recovery, journal-failure and shutdown
	// messages; nil discards them.
	Logger *slog.Logger
	// ShutdownTimeout bounds how long Serve waits for in-flight requests
	// once its context ends; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// ReadTimeout bounds reading each request, body included; zero means
	// DefaultReadTimeout.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing each response; zero means
	// DefaultWriteTimeout.
	WriteTimeout time.Duration
	// MaxHeaderBytes bounds a request's header block; a larger one gets
	// 431. Zero means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxConns bounds the connections Serve keeps open at once; zero means
	// DefaultMaxConns.
	MaxConns int
	// MaxFieldBytes bounds the title and the artist of an album, in bytes
	// of UTF-8; zero means DefaultMaxFieldBytes.
	MaxFieldBytes int
	// MaxAlbums bounds the catalogue: a POST that would pass it is
	// answered 507 and stores nothing. Zero means DefaultMaxAlbums.
	MaxAlbums int

	// wrapJournal, when set, wraps the journal file, so tests can inject
	// write and fsync failures or observe fsyncs.
	wrapJournal func(journalFile) journalFile
}

// withDefaults validates c and fills in defaults, naming the field at
// fault so that callers can map it back to their own flag or setting.
func (c Config) withDefaults() (Config, error) {
	if c.Store == "" {
		c.Store = StoreMutex
	}
	if _, err := ParseStoreKind(string(c.Store)); err != nil {
		return c, fmt.Errorf("config Store: %w", err)
	}
	if c.Shards == 0 {
		c.Shards = DefaultShards
	}
	if c.Shards < 1 || c.Shards > MaxShards {
		return c, fmt.Errorf("config Shards: %d is out of range, want 1 to %d", c.Shards, MaxShards)
	}
	if c.Fsync == "" {
		c.Fsync = FsyncAlways
	}
	if c.Fsync != fsyncEachRequest {
		if _, err := ParseFsyncPolicy(string(c.Fsync)); err != nil {
			return c, fmt.Errorf("config Fsync: %w", err)
		}
	}
	if c.Preload < 0 || c.Preload > MaxPreload {
		return c, fmt.Errorf("config Preload: %d is out of range, want 0 to %d", c.Preload, MaxPreload)
	}
	if c.ShutdownTimeout < 0 {
		return c, fmt.Errorf("config ShutdownTimeout: %v is negative", c.ShutdownTimeout)
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	for _, l := range []struct {
		name  string
		value *int
		def   int
	}{
		{"MaxHeaderBytes", &c.MaxHeaderBytes, DefaultMaxHeaderBytes},
		{"MaxConns", &c.MaxConns, DefaultMaxConns},
		{"MaxFieldBytes", &c.MaxFieldBytes, DefaultMaxFieldBytes},
		{"MaxAlbums", &c.MaxAlbums, DefaultMaxAlbums},
	} {
		if *l.value < 0 {
			return c, fmt.Errorf("config %s: %d is negative", l.name, *l.value)
		}
		if *l.value == 0 {
			*l.value = l.def
		}
	}
	for _, t := range []struct {
		name  string
		value *time.Duration
		def   time.Duration
	}{
		{"ReadTimeout", &c.ReadTimeout, DefaultReadTimeout},
		{"WriteTimeout", &c.WriteTimeout, DefaultWriteTimeout},
	} {
		if *t.value < 0 {
			return c, fmt.Errorf("config %s: %v is negative", t.name, *t.value)
		}
		if *t.value == 0 {
			*t.value = t.def
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
