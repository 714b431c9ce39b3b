package albumsvc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// journalFile is the part of *os.File the journal writes through; tests
// wrap it to inject failures and count fsyncs.
type journalFile interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// maxBatch bounds how many records one write and one fsync cover, which
// bounds the buffer and the latency of the first request in a batch.
const maxBatch = 512

// queueLen is how many requests may wait for the writer. While it fsyncs,
// they pile up here and become the next batch.
const queueLen = 4 * maxBatch

// journalClosedError is returned for commits that arrive after Close.
type journalClosedError struct{}

func (journalClosedError) Error() string {
	return "the journal is closed: the service is shutting down"
}

type commitResult struct {
	a   Album
	err error
}

type commitReq struct {
	a    Album
	done chan commitResult // buffered, so the writer never blocks on it
}

// journal appends albums as JSON lines. A single writer goroutine owns the
// file: it takes every request waiting in the queue, assigns their ids,
// writes them with one write, fsyncs once when the policy says so, and only
// then releases the waiters. Assigning ids in the writer keeps the file in
// id order and lets a failed write give its ids back, so ids stay dense.
type journal struct {
	path   string
	policy FsyncPolicy
	log    *slog.Logger

	reqs   chan *commitReq
	stop   chan struct{} // closed by close to ask the writer to finish
	exited chan struct{} // closed by the writer once flushed, synced and closed

	closeOnce sync.Once
	closeErr  error // set by the writer before exited is closed

	// Owned by the writer goroutine.
	f      journalFile
	lastID int64 // the id of the last record written
	size   int64 // bytes of complete records in the file
	dirty  bool  // written since the last fsync
	failed error // once set, every commit fails with it
	buf    bytes.Buffer
	enc    *json.Encoder
}

// startJournal starts the writer for a file whose complete records end at
// size and whose last record has id lastID.
func startJournal(f journalFile, path string, policy FsyncPolicy, log *slog.Logger, size, lastID int64) *journal {
	j := &journal{
		path:   path,
		policy: policy,
		log:    log,
		reqs:   make(chan *commitReq, queueLen),
		stop:   make(chan struct{}),
		exited: make(chan struct{}),
		f:      f,
		lastID: lastID,
		size:   size,
	}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	go j.run()
	return j
}

// commit makes a durable (per policy) and returns it with its id.
func (j *journal) commit(a Album) (Album, error) {
	r, err := j.enqueue(a)
	if err != nil {
		return Album{}, err
	}
	return j.wait(r)
}

// commitAll commits many albums at once, letting the writer batch them.
func (j *journal) commitAll(albums []Album) ([]Album, error) {
	reqs := make([]*commitReq, 0, len(albums))
	for _, a := range albums {
		r, err := j.enqueue(a)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, r)
	}
	out := make([]Album, 0, len(albums))
	var errs []error
	for _, r := range reqs {
		a, err := j.wait(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, a)
	}
	return out, errors.Join(errs...)
}

func (j *journal) enqueue(a Album) (*commitReq, error) {
	r := &commitReq{a: a, done: make(chan commitResult, 1)}
	select {
	case j.reqs <- r:
		return r, nil
	case <-j.stop:
		return nil, journalClosedError{}
	}
}

func (j *journal) wait(r *commitReq) (Album, error) {
	select {
	case res := <-r.done:
		return res.a, res.err
	case <-j.exited:
		// The writer answers before it exits, so a request it took has its
		// answer by now; one queued after its last look never will.
		select {
		case res := <-r.done:
			return res.a, res.err
		default:
			return Album{}, journalClosedError{}
		}
	}
}

// close flushes and fsyncs whatever was accepted, whatever the policy, and
// closes the file. It is safe to call more than once.
func (j *journal) close() error {
	j.closeOnce.Do(func() { close(j.stop) })
	<-j.exited
	return j.closeErr
}

func (j *journal) run() {
	defer close(j.exited)
	var tick <-chan time.Time
	if j.policy == FsyncInterval {
		t := time.NewTicker(SyncInterval)
		defer t.Stop()
		tick = t.C
	}
	limit := maxBatch
	if j.policy == fsyncEachRequest {
		limit = 1
	}
	batch := make([]*commitReq, 0, maxBatch)
	for {
		select {
		case r := <-j.reqs:
			batch = j.gather(append(batch[:0], r), limit)
			j.writeBatch(batch)
		case <-tick:
			j.syncIfDirty()
		case <-j.stop:
			for {
				batch = j.gather(batch[:0], limit)
				if len(batch) == 0 {
					break
				}
				j.writeBatch(batch)
			}
			err := j.syncIfDirty()
			j.closeErr = errors.Join(err, j.f.Close())
			return
		}
	}
}

// gather adds requests that are already waiting, without blocking: the
// group in group commit is whoever queued during the previous fsync.
func (j *journal) gather(batch []*commitReq, limit int) []*commitReq {
	for len(batch) < limit {
		select {
		case r := <-j.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

func (j *journal) writeBatch(batch []*commitReq) {
	if j.failed != nil {
		j.answer(batch, j.failed)
		return
	}
	j.buf.Reset()
	id := j.lastID
	for _, r := range batch {
		id++
		r.a.ID = id
		if err := j.enc.Encode(r.a); err != nil {
			// Albums are plain strings and finite numbers; this cannot
			// happen, but a record that cannot be written must not be
			// acknowledged.
			j.answer(batch, fmt.Errorf("encoding album for journal %s: %w", j.path, err))
			return
		}
	}
	if _, err := j.f.Write(j.buf.Bytes()); err != nil {
		err = fmt.Errorf("appending to journal %s: %w", j.path, err)
		// Cut off whatever part of the batch made it, so the ids can be
		// reused and the file stays a clean sequence of records.
		if terr := j.f.Truncate(j.size); terr != nil {
			j.failed = fmt.Errorf("journal %s is unusable: %w", j.path,
				errors.Join(err, fmt.Errorf("removing the partial write: %w", terr)))
			j.log.Error("journal disabled, further albums will be refused", "path", j.path, "err", j.failed)
		} else {
			j.log.Error("journal write failed, albums refused", "path", j.path, "albums", len(batch), "err", err)
		}
		j.answer(batch, err)
		return
	}
	if j.policy == FsyncAlways || j.policy == fsyncEachRequest {
		if err := j.f.Sync(); err != nil {
			j.failSync(err)
			if terr := j.f.Truncate(j.size); terr != nil {
				j.log.Error("removing unsynced records failed", "path", j.path, "err", terr)
			}
			j.answer(batch, j.failed)
			return
		}
	} else {
		j.dirty = true
	}
	j.size += int64(j.buf.Len())
	j.lastID = id
	for _, r := range batch {
		r.done <- commitResult{a: r.a}
	}
}

// failSync disables the journal for good: after a failed fsync the kernel
// may have dropped the dirty pages, so nothing later can be promised.
func (j *journal) failSync(err error) {
	j.failed = fmt.Errorf("fsync of journal %s failed: %w", j.path, err)
	j.log.Error("journal disabled, further albums will be refused", "path", j.path, "err", j.failed)
}

func (j *journal) syncIfDirty() error {
	if !j.dirty || j.failed != nil {
		return j.failed
	}
	j.dirty = false
	if err := j.f.Sync(); err != nil {
		j.failSync(err)
		return j.failed
	}
	return nil
}

func (j *journal) answer(batch []*commitReq, err error) {
	for _, r := range batch {
		r.done <- commitResult{err: err}
	}
}
