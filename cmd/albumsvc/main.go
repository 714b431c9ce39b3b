// Command albumsvc serves the album API that load tests run against: list,
// get and create albums over a selectable in-memory store, optionally
// journaled to a file with a chosen fsync policy. SIGINT or SIGTERM stops
// it gracefully: in-flight requests finish and the journal is flushed and
// fsynced before it exits 0.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/loadgen/loadgen/albumsvc"
	"github.com/spf13/pflag"
)

// version is set at build time by the Makefile.
var version = "dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the service could not start or did not stop cleanly
	exitUsage   = 2 // a flag or environment variable is wrong
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// run is main without the process: it serves until ctx ends and returns
// the exit code, so tests can call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) (string, bool)) int {
	opts, err := parseFlags(args, getenv)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(stdout, usage())
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "albumsvc: %v\nRun albumsvc --help for usage.\n", err)
		return exitUsage
	case opts.version:
		fmt.Fprintf(stdout, "albumsvc %s\n", version)
		return exitOK
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	if opts.cfg.DataFile == "" && opts.fsyncSet {
		log.Warn("--fsync has no effect without --data")
	}
	opts.cfg.Logger = log
	svc, err := albumsvc.New(opts.cfg)
	if err != nil {
		log.Error("cannot start", "err", err)
		return exitFailure
	}
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		log.Error("cannot listen", "addr", opts.addr, "err", err)
		if cerr := svc.Close(); cerr != nil {
			log.Error("closing the journal failed", "err", cerr)
		}
		return exitFailure
	}
	serveErr := svc.Serve(ctx, ln)
	closeErr := svc.Close()
	if serveErr != nil || closeErr != nil {
		log.Error("stopped with errors", "serve", serveErr, "journal", closeErr)
		return exitFailure
	}
	log.Info("stopped cleanly")
	return exitOK
}
