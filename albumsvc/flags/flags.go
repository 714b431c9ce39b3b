// Package flags is albumsvc's command line: its flag set, which the
// binary parses and which tests elsewhere (the deployment manifests') read
// to know every flag and environment variable it takes.
package flags

import (
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/albumsvc"
)

// EnvPrefix prefixes the environment variable of every flag: --fsync is
// also ALBUMSVC_FSYNC (see EnvName).
const EnvPrefix = "ALBUMSVC"

// EnvName is the environment variable of the flag name: the prefix, then
// the name in capitals with dashes as underscores (--max-conns is
// ALBUMSVC_MAX_CONNS).
func EnvName(flag string) string {
	return EnvPrefix + "_" + strings.ReplaceAll(strings.ToUpper(flag), "-", "_")
}

// Values are what the flags set. Store and Fsync are the names as given,
// which the caller parses into Config.
type Values struct {
	Addr    string
	Store   string
	Fsync   string
	Version bool
	// Config has the service's other settings: shards, journal file,
	// preload, timeouts and limits.
	Config albumsvc.Config
}

// New is albumsvc's flag set, bound to v. It prints nothing: errors are
// returned, and reported once by the caller.
func New(v *Values) *pflag.FlagSet {
	fs := pflag.NewFlagSet("albumsvc", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	c := &v.Config
	fs.StringVar(&v.Addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&v.Store, "store", string(albumsvc.StoreMutex), "store strategy: "+strings.Join(kindNames(albumsvc.StoreKinds()), ", "))
	fs.IntVar(&c.Shards, "shards", albumsvc.DefaultShards, "number of shards for --store sharded")
	fs.StringVar(&c.DataFile, "data", "", "journal file: rebuild the store from it at start and append every new album (default: memory only)")
	fs.StringVar(&v.Fsync, "fsync", string(albumsvc.FsyncAlways), "with --data, when to fsync: always (before answering, with group commit), interval (every 100ms), never")
	fs.IntVar(&c.Preload, "preload", 3, "sample albums to start with (with --data, only when the journal is empty)")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", albumsvc.DefaultReadTimeout, "longest time to read a request, body included")
	fs.DurationVar(&c.WriteTimeout, "write-timeout", albumsvc.DefaultWriteTimeout, "longest time to write a response")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", albumsvc.DefaultMaxHeaderBytes, "largest request header block; larger gets 431")
	fs.IntVar(&c.MaxConns, "max-conns", albumsvc.DefaultMaxConns, "connections open at once; more wait to be accepted")
	fs.IntVar(&c.MaxFieldBytes, "max-field-bytes", albumsvc.DefaultMaxFieldBytes, "longest title or artist, in bytes of UTF-8")
	fs.IntVar(&c.MaxAlbums, "max-albums", albumsvc.DefaultMaxAlbums, "largest catalogue; a POST beyond it gets 507")
	fs.BoolVar(&v.Version, "version", false, "print the version and exit")
	return fs
}

func kindNames(kinds []albumsvc.StoreKind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}
