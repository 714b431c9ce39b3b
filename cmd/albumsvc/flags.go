package main

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/spf13/pflag"
)

// envPrefix prefixes the environment variable of every flag: --fsync is
// also ALBUMSVC_FSYNC.
const envPrefix = "ALBUMSVC"

// options is the parsed command line.
type options struct {
	addr     string
	cfg      albumsvc.Config
	fsyncSet bool // --fsync was given, by flag or environment
	version  bool
}

func newFlagSet(o *options, store, fsync *string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("albumsvc", pflag.ContinueOnError)
	fs.SetOutput(discard{}) // errors are reported by run, once
	fs.SortFlags = false
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(store, "store", string(albumsvc.StoreMutex), "store strategy: "+strings.Join(kindNames(albumsvc.StoreKinds()), ", "))
	fs.IntVar(&o.cfg.Shards, "shards", albumsvc.DefaultShards, "number of shards for --store sharded")
	fs.StringVar(&o.cfg.DataFile, "data", "", "journal file: rebuild the store from it at start and append every new album (default: memory only)")
	fs.StringVar(fsync, "fsync", string(albumsvc.FsyncAlways), "with --data, when to fsync: always (before answering, with group commit), interval (every 100ms), never")
	fs.IntVar(&o.cfg.Preload, "preload", 3, "sample albums to start with (with --data, only when the journal is empty)")
	fs.DurationVar(&o.cfg.ReadTimeout, "read-timeout", albumsvc.DefaultReadTimeout, "longest time to read a request, body included")
	fs.DurationVar(&o.cfg.WriteTimeout, "write-timeout", albumsvc.DefaultWriteTimeout, "longest time to write a response")
	fs.IntVar(&o.cfg.MaxHeaderBytes, "max-header-bytes", albumsvc.DefaultMaxHeaderBytes, "largest request header block; larger gets 431")
	fs.IntVar(&o.cfg.MaxConns, "max-conns", albumsvc.DefaultMaxConns, "connections open at once; more wait to be accepted")
	fs.IntVar(&o.cfg.MaxFieldBytes, "max-field-bytes", albumsvc.DefaultMaxFieldBytes, "longest title or artist, in bytes of UTF-8")
	fs.IntVar(&o.cfg.MaxAlbums, "max-albums", albumsvc.DefaultMaxAlbums, "largest catalogue; a POST beyond it gets 507")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return fs
}

// parseFlags parses args, then fills every flag not given on the command
// line from its environment variable. Every error names the flag (and the
// variable, when the value came from one).
func parseFlags(args []string, getenv func(string) (string, bool)) (options, error) {
	var o options
	var store, fsync string
	fs := newFlagSet(&o, &store, &fsync)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: albumsvc takes only flags", fs.Arg(0))
	}
	source := map[string]string{} // flag name -> how it was given, for messages
	var envErr error
	fs.VisitAll(func(f *pflag.Flag) {
		if envErr != nil || f.Changed || f.Name == "version" {
			return
		}
		name := envPrefix + "_" + strings.ReplaceAll(strings.ToUpper(f.Name), "-", "_")
		v, ok := getenv(name)
		if !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("invalid value %q for --%s (from %s): %w", v, f.Name, name, err)
		}
		source[f.Name] = " (from " + name + ")"
	})
	if envErr != nil {
		return o, envErr
	}

	var err error
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return o, fmt.Errorf("invalid --addr%s %q: want host:port: %w", source["addr"], o.addr, err)
	}
	if o.cfg.Store, err = albumsvc.ParseStoreKind(store); err != nil {
		return o, fmt.Errorf("invalid --store%s: %w", source["store"], err)
	}
	if o.cfg.Shards < 1 || o.cfg.Shards > albumsvc.MaxShards {
		return o, fmt.Errorf("invalid --shards%s %d: want 1 to %d", source["shards"], o.cfg.Shards, albumsvc.MaxShards)
	}
	if o.cfg.Fsync, err = albumsvc.ParseFsyncPolicy(fsync); err != nil {
		return o, fmt.Errorf("invalid --fsync%s: %w", source["fsync"], err)
	}
	o.fsyncSet = fs.Changed("fsync")
	if o.cfg.Preload < 0 || o.cfg.Preload > albumsvc.MaxPreload {
		return o, fmt.Errorf("invalid --preload%s %d: want 0 to %d", source["preload"], o.cfg.Preload, albumsvc.MaxPreload)
	}
	for name, d := range map[string]time.Duration{"read-timeout": o.cfg.ReadTimeout, "write-timeout": o.cfg.WriteTimeout} {
		if d <= 0 {
			return o, fmt.Errorf("invalid --%s%s %v: want a positive duration", name, source[name], d)
		}
	}
	for name, n := range map[string]int{"max-header-bytes": o.cfg.MaxHeaderBytes, "max-conns": o.cfg.MaxConns, "max-field-bytes": o.cfg.MaxFieldBytes, "max-albums": o.cfg.MaxAlbums} {
		if n < 1 {
			return o, fmt.Errorf("invalid --%s%s %d: want a positive number", name, source[name], n)
		}
	}
	return o, nil
}

func usage() string {
	var o options
	var s, f string
	return `albumsvc serves the album API (GET/POST /albums, GET /albums/{id}, GET /healthz).

Usage: albumsvc [flags]

Flags:
` + newFlagSet(&o, &s, &f).FlagUsages() + `
Every flag can also be set through an environment variable named
ALBUMSVC_ and the flag name in capitals, dashes as underscores
(ALBUMSVC_STORE=sharded, ALBUMSVC_MAX_CONNS=500); a flag
given on the command line wins. SIGINT or SIGTERM shuts down gracefully.
`
}

func kindNames(kinds []albumsvc.StoreKind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = string(k)
	}
	return out
}

// discard swallows pflag's own error printing.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
