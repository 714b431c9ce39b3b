package client

import (
	"context"
	"sync"
)

// cancelWatch lets a context end a fasthttp request in flight: when the
// followed context ends, it ends all the client's connections, the exchange
// on them fails at once, and Do reports the context's error.
//
// A user passes the same context to every call, so following it costs one
// registration for the user's lifetime and a comparison per request.
type cancelWatch struct {
	conns *connTracker
	// done and stop belong to the goroutine calling Do.
	done <-chan struct{} // Done of the context followed, nil for none
	stop func() bool     // unregisters the current callback

	mu  sync.Mutex
	gen uint64 // counts followed contexts, so that a stale callback does nothing
}

// follow makes ctx the context whose end ends the connections. It costs a
// comparison when ctx, or one sharing its Done channel, is followed already.
func (w *cancelWatch) follow(ctx context.Context) {
	done := ctx.Done()
	if done == w.done {
		return
	}
	w.close()
	w.mu.Lock()
	w.gen++
	gen := w.gen
	w.conns.reopen()
	w.mu.Unlock()
	w.done = done
	if done != nil {
		w.stop = context.AfterFunc(ctx, func() { w.cancel(gen) })
	}
}

// cancel ends the connections if gen is still the followed context.
func (w *cancelWatch) cancel(gen uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if gen == w.gen {
		w.conns.endAll()
	}
}

// close stops following any context.
func (w *cancelWatch) close() {
	if w.stop != nil {
		w.stop()
		w.stop = nil
	}
	w.done = nil
}
