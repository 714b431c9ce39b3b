package albumsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// it stops accepting, lets in-flight requests finish (for up to
// Config.ShutdownTimeout, after which it cuts the remaining connections)
// and returns nil. It does not close the service: call Close afterwards to
// flush the journal, so that nothing accepted during the drain is lost.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: min(10*time.Second, s.cfg.ReadTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.log.Info("listening", "addr", ln.Addr().String(), "max_conns", s.cfg.MaxConns)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(newLimitListener(ln, s.cfg.MaxConns)) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining in-flight requests", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-served // http.ErrServerClosed once Shutdown has begun
	if err != nil {
		srv.Close()
		return fmt.Errorf("graceful shutdown on %s: %w", ln.Addr(), err)
	}
	return nil
}

// Server is a service running in the background, as returned by Start.
type Server struct {
	addr    string
	svc     *Service
	cancel  context.CancelFunc
	done    chan struct{}
	served  error // set before done is closed
	stopped sync.Once
	stopErr error
}

// Start is the one-call way to embed the service: it builds a Service from
// cfg, listens on addr (use "127.0.0.1:0" for a free loopback port) and
// serves in the background until ctx ends or Stop is called. The caller
// must call Stop to flush the journal and learn how serving ended.
//
//	srv, err := albumsvc.Start(ctx, albumsvc.Config{Preload: 3}, "127.0.0.1:0")
//	if err != nil { ... }
//	defer srv.Stop()
//	base := "http://" + srv.Addr()
func Start(ctx context.Context, cfg Config, addr string) (*Server, error) {
	svc, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("listening on %s: %w", addr, err), svc.Close())
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Server{addr: ln.Addr().String(), svc: svc, cancel: cancel, done: make(chan struct{})}
	go func() {
		s.served = svc.Serve(ctx, ln)
		close(s.done)
	}()
	return s, nil
}

// Addr is the address the server listens on, with the real port when
// Start was given port 0.
func (s *Server) Addr() string { return s.addr }

// Done is closed when serving has stopped, because ctx ended, Stop was
// called or the listener failed. Stop must still be called.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop shuts down gracefully (stop accepting, finish in-flight requests),
// then flushes, fsyncs and closes the journal. It returns any error from
// serving or closing; a clean shutdown returns nil. It is safe to call more
// than once.
func (s *Server) Stop() error {
	s.stopped.Do(func() {
		s.cancel()
		<-s.done
		s.stopErr = errors.Join(s.served, s.svc.Close())
	})
	return s.stopErr
}
