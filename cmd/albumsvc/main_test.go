package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/albumsvc"
)

// childEnv, when set, makes the test binary run main instead of the
// tests, so process tests can start a real albumsvc (built with the same
// flags as the tests, -race included) and signal it.
const childEnv = "GO_TEST_ALBUMSVC_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func envOf(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := kv[k]
		return v, ok
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, o options)
	}{
		{"defaults", nil, nil, func(t *testing.T, o options) {
			want := withLimits(albumsvc.Config{Store: albumsvc.StoreMutex, Shards: albumsvc.DefaultShards, Fsync: albumsvc.FsyncAlways, Preload: 3})
			if o.addr != "127.0.0.1:8080" || !reflect.DeepEqual(o.cfg, want) || o.fsyncSet {
				t.Errorf("got addr %q cfg %+v fsyncSet %v, want 127.0.0.1:8080 %+v false", o.addr, o.cfg, o.fsyncSet, want)
			}
		}},
		{"flags", []string{"--addr", "127.0.0.1:0", "--store=sharded", "--shards", "8", "--data", "/x/j", "--fsync", "never", "--preload", "0"}, nil,
			func(t *testing.T, o options) {
				want := withLimits(albumsvc.Config{Store: albumsvc.StoreSharded, Shards: 8, DataFile: "/x/j", Fsync: albumsvc.FsyncNever})
				if o.addr != "127.0.0.1:0" || !reflect.DeepEqual(o.cfg, want) || !o.fsyncSet {
					t.Errorf("got addr %q cfg %+v, want 127.0.0.1:0 %+v", o.addr, o.cfg, want)
				}
			}},
		{"environment", nil, map[string]string{"ALBUMSVC_STORE": "syncmap", "ALBUMSVC_FSYNC": "interval", "ALBUMSVC_PRELOAD": "7", "ALBUMSVC_ADDR": "[::1]:9000", "ALBUMSVC_DATA": "d"},
			func(t *testing.T, o options) {
				if o.cfg.Store != albumsvc.StoreSyncMap || o.cfg.Fsync != albumsvc.FsyncInterval || o.cfg.Preload != 7 || o.addr != "[::1]:9000" || o.cfg.DataFile != "d" || !o.fsyncSet {
					t.Errorf("environment not applied: %+v %q", o.cfg, o.addr)
				}
			}},
		{"limits", []string{"--max-conns", "5", "--max-albums", "10", "--max-field-bytes", "9", "--max-header-bytes", "8192", "--write-timeout", "3s"},
			map[string]string{"ALBUMSVC_READ_TIMEOUT": "2s"},
			func(t *testing.T, o options) {
				c := o.cfg
				if c.MaxConns != 5 || c.MaxAlbums != 10 || c.MaxFieldBytes != 9 || c.MaxHeaderBytes != 8192 || c.WriteTimeout != 3*time.Second || c.ReadTimeout != 2*time.Second {
					t.Errorf("limits not applied: %+v", c)
				}
			}},
		{"flag beats environment", []string{"--store", "rwmutex"}, map[string]string{"ALBUMSVC_STORE": "syncmap", "ALBUMSVC_SHARDS": "4"},
			func(t *testing.T, o options) {
				if o.cfg.Store != albumsvc.StoreRWMutex || o.cfg.Shards != 4 {
					t.Errorf("store %q shards %d, want rwmutex (flag) and 4 (environment)", o.cfg.Store, o.cfg.Shards)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags(tc.args, envOf(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, o)
		})
	}
}

// TestBadFlagsExit2 checks that every bad value exits 2 with a message
// naming the flag (and the variable, when it came from one).
func TestBadFlagsExit2(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--store", "btree"}, nil, `invalid --store: unknown store "btree"`},
		{nil, map[string]string{"ALBUMSVC_STORE": "btree"}, "invalid --store (from ALBUMSVC_STORE)"},
		{[]string{"--fsync", "sometimes"}, nil, `invalid --fsync: unknown fsync policy "sometimes"`},
		{nil, map[string]string{"ALBUMSVC_FSYNC": "x"}, "--fsync (from ALBUMSVC_FSYNC)"},
		{[]string{"--shards", "0"}, nil, "invalid --shards 0"},
		{[]string{"--shards", "many"}, nil, `"--shards"`},
		{nil, map[string]string{"ALBUMSVC_SHARDS": "many"}, "--shards (from ALBUMSVC_SHARDS)"},
		{[]string{"--preload", "-1"}, nil, "invalid --preload -1"},
		{[]string{"--addr", "8080"}, nil, `invalid --addr "8080"`},
		{[]string{"--max-albums", "0"}, nil, "invalid --max-albums 0: want a positive number"},
		{nil, map[string]string{"ALBUMSVC_MAX_CONNS": "-3"}, "invalid --max-conns (from ALBUMSVC_MAX_CONNS) -3"},
		{[]string{"--read-timeout", "0s"}, nil, "invalid --read-timeout 0s: want a positive duration"},
		{[]string{"--color"}, nil, "unknown flag: --color"},
		{[]string{"serve"}, nil, `unexpected argument "serve"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " ")+mapString(tc.env), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr, envOf(tc.env))
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tc.want)
			}
		})
	}
}

// withLimits is c with the flags' default limits.
func withLimits(c albumsvc.Config) albumsvc.Config {
	c.ReadTimeout, c.WriteTimeout = albumsvc.DefaultReadTimeout, albumsvc.DefaultWriteTimeout
	c.MaxHeaderBytes, c.MaxConns = albumsvc.DefaultMaxHeaderBytes, albumsvc.DefaultMaxConns
	c.MaxFieldBytes, c.MaxAlbums = albumsvc.DefaultMaxFieldBytes, albumsvc.DefaultMaxAlbums
	return c
}

func mapString(m map[string]string) string {
	var b strings.Builder
	for k, v := range m {
		b.WriteString(" " + k + "=" + v)
	}
	return b.String()
}

func TestHelpAndVersion(t *testing.T) {
	for _, tc := range []struct{ arg, want string }{{"--help", "ALBUMSVC_STORE"}, {"--version", "albumsvc dev"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{tc.arg}, &stdout, &stderr, envOf(nil)); code != exitOK {
			t.Errorf("%s: exit code %d, want 0", tc.arg, code)
		}
		if !strings.Contains(stdout.String(), tc.want) {
			t.Errorf("%s: stdout %q lacks %q", tc.arg, stdout.String(), tc.want)
		}
	}
}

// TestCorruptJournalExits1 checks that start-up refuses a damaged journal,
// saying where the damage is.
func TestCorruptJournalExits1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "albums.jsonl")
	content := `{"id":1,"title":"a","artist":"b","price":1}` + "\nnot json\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--addr", "127.0.0.1:0", "--data", path}, &stdout, &stderr, envOf(nil))
	if code != exitFailure || !strings.Contains(stderr.String(), "line 2") {
		t.Errorf("exit code %d, stderr %q; want %d and a message naming line 2", code, stderr.String(), exitFailure)
	}
}

func slogText(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
