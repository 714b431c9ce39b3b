package main

import (
	"fmt"
	"net"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
	albumflags "github.com/loadgen/loadgen/albumsvc/flags"
	"github.com/spf13/pflag"
)

// envPrefix prefixes the environment variable of every flag.
const envPrefix = albumflags.EnvPrefix

// options is the parsed command line.
type options struct {
	addr     string
	cfg      albumsvc.Config
	fsyncSet bool // --fsync was given, by flag or environment
	version  bool
}

// parseFlags parses args, then fills every flag not given on the command
// line from its environment variable. Every error names the flag (and the
// variable, when the value came from one).
func parseFlags(args []string, getenv func(string) (string, bool)) (options, error) {
	var o options
	var v albumflags.Values
	fs := albumflags.New(&v)
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
		name := albumflags.EnvName(f.Name)
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

	store, fsync := v.Store, v.Fsync
	o.addr, o.cfg, o.version = v.Addr, v.Config, v.Version
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
	var v albumflags.Values
	return `albumsvc serves the album API (GET/POST /albums, GET /albums/{id}, GET /healthz).

Usage: albumsvc [flags]

Flags:
` + albumflags.New(&v).FlagUsages() + `
Every flag can also be set through an environment variable named
ALBUMSVC_ and the flag name in capitals, dashes as underscores
(ALBUMSVC_STORE=sharded, ALBUMSVC_MAX_CONNS=500); a flag
given on the command line wins. SIGINT or SIGTERM shuts down gracefully.
`
}
