package control

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/loadgen/loadgen/internal/jsonhttp"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/results"
)

// errUnknownWorker tells a worker to register (again): the coordinator
// restarted, or gave the worker's users to others while it was away.
var errUnknownWorker = jsonhttp.Errorf(http.StatusGone, "unknown or missing worker: register again")

func requireMethod(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	writeError(w, jsonhttp.Errorf(http.StatusMethodNotAllowed, "%s needs %s", r.URL.Path, method))
	return false
}

func (c *Coordinator) handleRegister(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodPost) {
		return
	}
	var m wire.RegisterRequest
	if he := decodeRequest(w, r, &m); he != nil {
		writeError(w, he)
		return
	}
	now := time.Now()
	c.mu.Lock()
	rec := c.workers[m.ID]
	if rec == nil && len(c.order) >= c.cfg.MaxWorkers {
		if c.logs.allow(now, "worker refused: the run has all the workers it takes (--max-workers)") {
			c.log.Warn("worker refused: the run has all the workers it takes (--max-workers)", "worker", m.ID, "max_workers", c.cfg.MaxWorkers)
		}
		c.refusedWorkers++
		c.mu.Unlock()
		writeError(w, jsonhttp.Errorf(http.StatusTooManyRequests, "this run has had its %d workers (--max-workers): no more join it", c.cfg.MaxWorkers))
		return
	}
	wasGone := rec != nil && rec.gone
	if rec == nil {
		rec = &workerRec{slot: len(c.order), wakePoll: make(chan struct{}), lossWarning: -1}
		rec.status.Joined = now
		c.workers[m.ID] = rec
		c.order = append(c.order, rec)
		if m.Version != c.cfg.Version {
			if c.otherVersions++; c.otherVersions <= maxVersionWarnings {
				c.warnLocked(fmt.Sprintf("worker %s runs version %q, the coordinator %q", m.ID, wire.Truncate(m.Version, 64), c.cfg.Version))
			}
		}
	} else if !rec.gone && c.logs.allow(now, "worker registered again") {
		c.log.Info("worker registered again", "worker", m.ID)
	}
	rec.status.ID, rec.status.Host, rec.status.Version = m.ID, m.Host, m.Version
	rec.status.PID, rec.status.Cores = m.PID, m.Cores
	rec.status.State = string(wire.StateReady)
	rec.status.Users = 0
	rec.status.Error = ""
	rec.status.LastHeartbeat = now
	rec.gone = false
	// The worker starts counting commands afresh.
	rec.cmd = wire.Command{}
	switch c.state {
	case runRunning:
		c.rejoinLocked(rec, wasGone, now)
	case runStopping:
		c.sendLocked(rec, c.stopCommandLocked())
	case runDone:
		c.sendLocked(rec, wire.Command{Kind: wire.CommandQuit})
	}
	if c.logs.allow(now, "worker registered") {
		c.log.Info("worker registered", "worker", m.ID, "host", m.Host, "pid", m.PID, "version", m.Version, "cores", m.Cores, "workers", len(c.aliveLocked()))
	}
	c.mu.Unlock()
	c.wake()
	writeJSON(w, http.StatusOK, wire.RegisterResponse{
		V: wire.ProtocolVersion, ID: m.ID, Version: c.cfg.Version,
		HeartbeatMS:      c.cfg.Heartbeat.Milliseconds(),
		ReportMS:         c.cfg.Heartbeat.Milliseconds(),
		MissedHeartbeats: c.cfg.MissedHeartbeats,
	})
}

func (c *Coordinator) handleHeartbeat(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodPost) {
		return
	}
	var m wire.HeartbeatRequest
	if he := decodeRequest(w, r, &m); he != nil {
		writeError(w, he)
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	rec := c.workers[m.ID]
	if rec == nil || rec.gone {
		writeError(w, errUnknownWorker)
		return
	}
	st := &rec.status
	st.LastHeartbeat = now
	st.State, st.Users, st.CPUPercent, st.RSSBytes = string(m.State), m.Users, m.CPUPercent, m.RSSBytes
	if m.Open != nil && c.open != nil {
		rec.setOpenLocked(m.Open)
	}
	final := rec.finalRun && c.state >= runStopping
	if final && (m.State == wire.StateRunning || m.State == wire.StateSpawning || m.State == wire.StateStopping) {
		// Heartbeats and reports travel apart: one that still says
		// stopping was sent before the final report, which says the
		// worker's users are gone.
		st.State = string(wire.StateStopped)
	}
	switch {
	case m.State == wire.StateQuit && c.state == runDone:
		// A worker that finished the run and then quit as told stays
		// stopped in the table; one that quit without its final report
		// left.
		rec.gone, st.Users = true, 0
		st.State = string(wire.StateLeft)
		if rec.finalRun {
			st.State = string(wire.StateStopped)
		}
	case m.State == wire.StateQuit:
		c.loseLocked(rec, wire.StateLeft, "left before the end of the run", now)
	case m.State == wire.StateFailed:
		st.Error = m.Error
		c.loseLocked(rec, wire.StateFailed, "failed: "+m.Error, now)
	}
	w.WriteHeader(http.StatusNoContent)
}

// ingest is one report handler's decoding state, pooled: decoding is the
// costly part of a report, and runs outside the coordinator's lock.
type ingest struct {
	body  bytes.Buffer
	codec results.DeltaCodec
	delta *results.Delta
}

func (c *Coordinator) handleReport(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodPost) {
		return
	}
	m, err := wire.ParseReportQuery(r.URL.Query())
	if err != nil {
		writeError(w, badRequest("%v", err))
		return
	}
	in := c.codecs.Get().(*ingest)
	defer c.codecs.Put(in)
	in.body.Reset()
	if he := jsonhttp.ReadBody(w, r, wire.MaxReportBytes, &in.body); he != nil {
		writeError(w, he)
		return
	}
	if err := in.codec.Unmarshal(in.body.Bytes(), in.delta); err != nil {
		he := badRequest("report %d: %v", m.Seq, err)
		c.refused(m.ID, he)
		writeError(w, he)
		return
	}
	ack, he := c.apply(&m, in.delta)
	if he != nil {
		c.refused(m.ID, he)
		writeError(w, he)
		return
	}
	writeJSON(w, http.StatusOK, ack)
}

// refused counts a report of a known worker that was refused, for the
// run's warnings: what it held is missing from the statistics.
func (c *Coordinator) refused(id string, he *jsonhttp.Error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rec := c.workers[id]; rec != nil && he.Status != http.StatusGone {
		if rec.refused++; rec.refused == 1 {
			rec.refusal = wire.Truncate(he.Msg, 200)
		}
		if c.logs.allow(time.Now(), "report refused") {
			c.log.Warn("report refused", "worker", id, "err", he.Msg)
		}
	}
}

// apply adds a decoded report to the run's statistics unless it is a
// duplicate or belongs to another run. The check and the addition share
// one critical section, so two copies of a retried report arriving
// together count once.
func (c *Coordinator) apply(m *wire.ReportRequest, d *results.Delta) (wire.ReportResponse, *jsonhttp.Error) {
	ack := wire.ReportResponse{V: wire.ProtocolVersion, Seq: m.Seq}
	c.mu.Lock()
	defer c.mu.Unlock()
	rec := c.workers[m.ID]
	if rec == nil {
		return ack, errUnknownWorker
	}
	if m.Run != c.runID || c.stats == nil || c.state == runDone || m.Seq <= rec.lastSeq {
		return ack, nil
	}
	if m.Seq > rec.lastSeq+wire.MaxSeqGap {
		return ack, badRequest("report seq %d is more than %d above the last one applied (%d): a worker numbers a run's reports from 1", m.Seq, wire.MaxSeqGap, rec.lastSeq)
	}
	d.SetNode(m.ID) // exceptions name the worker they happened on, as Locust's do
	if err := c.stats.Add(d); err != nil {
		return ack, jsonhttp.Errorf(http.StatusUnprocessableEntity, "report %d: %v", m.Seq, err)
	}
	rec.lastSeq = m.Seq
	req, fail := d.Totals()
	rec.status.Requests += req
	rec.status.Failures += fail
	if m.Final {
		rec.finalRun = true
		if !rec.gone {
			// Its users are gone; the table should not say "running"
			// until the next heartbeat, which may never come.
			rec.status.State = string(wire.StateStopped)
		}
		c.wake()
	}
	ack.Applied = true
	return ack, nil
}

func (c *Coordinator) handleCommands(w http.ResponseWriter, r *http.Request) {
	if !requireMethod(w, r, http.MethodGet) {
		return
	}
	q := r.URL.Query()
	id := q.Get("worker")
	if err := wire.CheckID(id); err != nil {
		writeError(w, badRequest("worker: %v", err))
		return
	}
	var after uint64
	if s := q.Get("after"); s != "" {
		var err error
		if after, err = strconv.ParseUint(s, 10, 64); err != nil {
			writeError(w, badRequest("after %q is not a sequence number", wire.Truncate(s, 32)))
			return
		}
	}
	hold := time.NewTimer(c.cfg.PollHold)
	defer hold.Stop()
	for {
		c.mu.Lock()
		rec := c.workers[id]
		if rec == nil || rec.gone {
			c.mu.Unlock()
			writeError(w, errUnknownWorker)
			return
		}
		if rec.cmd.Seq > after {
			cmd := rec.cmd
			rec.delivered = max(rec.delivered, cmd.Seq)
			c.mu.Unlock()
			c.wake()
			writeJSON(w, http.StatusOK, cmd)
			return
		}
		wake := rec.wakePoll
		c.mu.Unlock()
		select {
		case <-wake:
		case <-hold.C:
			w.WriteHeader(http.StatusNoContent)
			return
		case <-c.closed:
			w.WriteHeader(http.StatusNoContent)
			return
		case <-r.Context().Done():
			return
		}
	}
}
