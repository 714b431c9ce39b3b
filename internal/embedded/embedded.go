// Package embedded starts the album service that loadgen tests when it is
// given no target: in this process, on a free loopback port, with a few
// sample albums, the same way for every command that needs one.
package embedded

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/loadgen/loadgen/albumsvc"
)

// Preload is how many sample albums the service starts with, so that
// GET /albums/{id} of small ids finds something from the first request.
const Preload = 3

// Service is a running embedded album service.
type Service struct {
	// URL is its base URL, http://127.0.0.1:PORT.
	URL   string
	Store albumsvc.StoreKind
	srv   *albumsvc.Server
}

// Start starts an album service with the given store; log, when set,
// receives its messages. Stop it when the run is over.
func Start(store albumsvc.StoreKind, log *slog.Logger) (*Service, error) {
	srv, err := albumsvc.Start(context.Background(), albumsvc.Config{Store: store, Preload: Preload, Logger: log}, "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the embedded album service: %w", err)
	}
	return &Service{URL: "http://" + srv.Addr(), Store: store, srv: srv}, nil
}

// Stop shuts the service down.
func (s *Service) Stop() error { return s.srv.Stop() }
