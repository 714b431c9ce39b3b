package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen"
)

// controlAnswer is the body of a successful control request.
type controlAnswer struct {
	State   string `json:"state"`
	Users   int    `json:"user_count"`
	Message string `json:"message"`
}

func answer(w http.ResponseWriter, run loadgen.Run, msg string) {
	writeJSON(w, http.StatusOK, controlAnswer{State: string(run.State()), Users: run.Snapshot().Users, Message: msg})
}

// startBody is POST /api/start's body: pointers tell a field left out,
// which takes the default, from one set to zero.
type startBody struct {
	Rate        *float64     `json:"rate"`
	Users       *int         `json:"users"`
	SpawnRate   *float64     `json:"spawn_rate"`
	Host        *string      `json:"host"`
	RunTime     *flexRunTime `json:"run_time"`
	Profile     *string      `json:"profile"`
	ProfileYAML *string      `json:"profile_yaml"`
}

// flexRunTime takes a run time as a string ("90s") or a number of seconds,
// as scripts tend to write it.
type flexRunTime string

func (f *flexRunTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexRunTime(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New(`run_time: want a duration such as "90s" or a number of seconds`)
	}
	*f = flexRunTime(n.String())
	return nil
}

func (b startBody) over(d StartRequest) StartRequest {
	r := d
	if b.Rate != nil {
		r.Rate = *b.Rate
	}
	if b.Users != nil {
		r.Users = *b.Users
	}
	if b.SpawnRate != nil {
		r.SpawnRate = *b.SpawnRate
	}
	// The page shows the default host redacted (see StartRequest.Redacted),
	// and sends it back so when its field is left alone.
	if b.Host != nil && (*b.Host != netaddr.RedactURL(d.Host) || *b.Host == d.Host) {
		r.Host = *b.Host
	}
	if b.RunTime != nil {
		r.RunTime = string(*b.RunTime)
	}
	if b.Profile != nil {
		r.Profile = *b.Profile
		r.ProfileYAML = ""
	}
	if b.ProfileYAML != nil {
		r.ProfileYAML = *b.ProfileYAML
	}
	return r
}

func (s *Server) handleStart(w http.ResponseWriter, r *http.Request) {
	var body startBody
	if err := decodeBody(w, r, s.cfg.MaxBodyBytes, &body); err != nil {
		fail(w, err)
		return
	}
	req := body.over(s.cfg.Defaults)
	if err := s.Start(req); err != nil {
		fail(w, err)
		return
	}
	answer(w, s.Current(), "run started")
}

func (s *Server) handleStop(w http.ResponseWriter, r *http.Request) {
	if err := decodeBody(w, r, s.cfg.MaxBodyBytes, &struct{}{}); err != nil {
		fail(w, err)
		return
	}
	run, stopped, err := s.stop(r.Context())
	switch {
	case err != nil:
		fail(w, err)
	case run == nil:
		fail(w, errConflict{"no run has started"})
	case !stopped:
		answer(w, run, "the run had already stopped")
	default:
		answer(w, run, "run stopped")
	}
}

// stop stops the run in progress and waits for it, until ctx ends. It
// returns the latest run (nil before the first) and whether this call
// stopped it (false when it had already stopped).
func (s *Server) stop(ctx context.Context) (loadgen.Run, bool, error) {
	run := s.Current()
	if run == nil || ended(run) {
		return run, false, nil
	}
	// Said before the stop, which waits for the run's end: the run's own
	// "run stopped", with its counts, comes after.
	s.log.Info("stopping the run from the web UI")
	if err := run.Stop(ctx); err != nil {
		return run, false, err
	}
	return run, true, nil
}

// editBody is POST /api/edit's body: users (required, with spawn_rate
// keeping the run's when left out) for a run with users, rate for an
// open-model run.
type editBody struct {
	Users     *int     `json:"users"`
	SpawnRate *float64 `json:"spawn_rate"`
	Rate      *float64 `json:"rate"`
}

func (s *Server) handleEdit(w http.ResponseWriter, r *http.Request) {
	var body editBody
	if err := decodeBody(w, r, s.cfg.MaxBodyBytes, &body); err != nil {
		fail(w, err)
		return
	}
	run, msg, err := s.edit(body)
	if err != nil {
		fail(w, err)
		return
	}
	answer(w, run, msg)
}

// edit changes the run in progress as body asks, for POST /api/edit and
// Locust's edit form alike, and says what the run does now.
func (s *Server) edit(body editBody) (loadgen.Run, string, error) {
	s.mu.Lock()
	run := s.run
	req := s.req
	s.mu.Unlock()
	if run == nil || ended(run) {
		return nil, "", errConflict{"no run in progress"}
	}
	open := run.Spec().Open != nil
	switch {
	case open && body.Rate == nil:
		return nil, "", BadRequest(errors.New("rate: required for an open-model run"))
	case open:
		req.Rate = *body.Rate
	case body.Users == nil:
		return nil, "", BadRequest(errors.New("users: required"))
	default:
		req.Users = *body.Users
		if body.SpawnRate != nil {
			req.SpawnRate = *body.SpawnRate
		}
	}
	if err := checkStart(req); err != nil {
		return nil, "", BadRequest(err)
	}
	if open && !(req.Rate > 0) {
		return nil, "", BadRequest(errors.New("rate: must be positive"))
	}
	if err := run.Edit(loadgen.Change{Users: req.Users, SpawnRate: req.SpawnRate, Rate: req.Rate}); err != nil {
		return nil, "", controlError(err)
	}
	s.mu.Lock()
	if s.run == run {
		s.req.Users, s.req.SpawnRate, s.req.Rate = req.Users, req.SpawnRate, req.Rate
	}
	s.mu.Unlock()
	if open {
		s.log.Info("run edited", "rate", req.Rate)
		return run, "sending " + strconv.FormatFloat(req.Rate, 'g', -1, 64) + " requests per second", nil
	}
	s.log.Info("run edited", "users", req.Users, "spawn_rate", req.SpawnRate)
	return run, "ramping to " + strconv.Itoa(req.Users) + " users", nil
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	if err := decodeBody(w, r, s.cfg.MaxBodyBytes, &struct{}{}); err != nil {
		fail(w, err)
		return
	}
	run, err := s.reset()
	if err != nil {
		fail(w, err)
		return
	}
	answer(w, run, "statistics reset")
}

// reset restarts the statistics of the run in progress.
func (s *Server) reset() (loadgen.Run, error) {
	run := s.Current()
	if run == nil || ended(run) {
		return nil, errConflict{"no run in progress"}
	}
	if err := run.Reset(); err != nil {
		return nil, controlError(err)
	}
	s.charts.clear()
	s.log.Info("statistics reset")
	return run, nil
}

// info is GET /api/info: what the page needs to draw its forms.
type info struct {
	Version  string       `json:"version"`
	Defaults StartRequest `json:"defaults"`
	Profiles []string     `json:"profiles"`
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, info{Version: s.cfg.Version, Defaults: s.cfg.Defaults.Redacted(), Profiles: s.cfg.Profiles})
}
