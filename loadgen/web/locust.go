package web

import (
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/internal/jsonhttp"
	"github.com/loadgen/loadgen/internal/netaddr"
)

// Locust's web API, beside the native /api: the endpoints that scripts
// written for Locust's web UI drive, with Locust's form fields, JSON keys
// and value types, and CSV files. They steer the same runs as the native
// API, through the same methods (Start, edit, stop, reset); only the
// wire format is Locust's.
func (s *Server) locustRoutes(mux *http.ServeMux) {
	mux.Handle("POST /swarm", sameOriginOnly(http.HandlerFunc(s.handleSwarm)))
	mux.Handle("GET /stop", sameOriginOnly(http.HandlerFunc(s.handleLocustStop)))
	mux.Handle("GET /stats/reset", sameOriginOnly(http.HandlerFunc(s.handleLocustReset)))
	mux.HandleFunc("GET /stats/requests", s.handleLocustStats)
	mux.HandleFunc("GET /stats/requests/csv", s.handleLocustCSV("requests", statsCSV))
	mux.HandleFunc("GET /stats/failures/csv", s.handleLocustCSV("failures", failuresCSV))
	mux.HandleFunc("GET /stats/requests_full_history/csv", s.handleLocustCSV("requests_full_history", historyCSV))
	mux.HandleFunc("GET /exceptions/csv", s.handleLocustCSV("exceptions", exceptionsCSV))
	mux.HandleFunc("GET /exceptions", s.handleLocustExceptions)
	mux.HandleFunc("GET /tasks", s.handleLocustTasks)
	mux.HandleFunc("GET /stats/report", s.handleLocustReport)
}

// swarmAnswer is POST /swarm's answer, as Locust's: RunTime, in seconds,
// only when the run has one.
type swarmAnswer struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	Host    string `json:"host"`
	RunTime *int64 `json:"run_time,omitempty"`
}

// locustAnswer is the answer to GET /stop, and to a refused POST /swarm.
type locustAnswer struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// handleSwarm is Locust's start and edit forms, both posted to /swarm:
// with no run in progress it starts one, as POST /api/start does, with
// the form's fields over the defaults; during a run it ramps the run to
// the form's user count, as POST /api/edit does. Locust answers its one
// refusal (a bad run time) with 200 and success false; loadgen answers
// every refusal with success false and a 4xx or 5xx status.
func (s *Server) handleSwarm(w http.ResponseWriter, r *http.Request) {
	body, err := s.swarmForm(w, r)
	if err == nil {
		err = s.swarm(body)
	}
	run, _, req := s.current()
	host := s.cfg.Defaults.Host
	switch {
	case run != nil && req.Host != "":
		host = req.Host
	case run != nil:
		// The target the Starter chose (the embedded service, say).
		host = run.Spec().Host
	}
	if err != nil {
		status, msg := errorStatus(err)
		writeJSON(w, status, struct {
			locustAnswer
			Host string `json:"host"`
		}{locustAnswer{Message: msg}, netaddr.RedactURL(host)})
		return
	}
	out := swarmAnswer{Success: true, Message: "Swarming started", Host: netaddr.RedactURL(host)}
	if d, err := RunTime(req); err == nil && d > 0 {
		secs := int64(math.Round(d.Seconds()))
		out.RunTime = &secs
	}
	writeJSON(w, http.StatusOK, out)
}

// swarm starts a run from the form, or edits the one in progress.
func (s *Server) swarm(body startBody) error {
	run, _, cur := s.current()
	if run == nil || ended(run) {
		return s.Start(body.over(s.cfg.Defaults))
	}
	// An edit changes the users (or the rate) alone: what else the form
	// sends must be what the run has, as Locust's start form, sent again,
	// has it.
	want := body.over(cur)
	for _, f := range []struct{ name, got, has string }{
		{"host", want.Host, cur.Host},
		{"run_time", want.RunTime, cur.RunTime},
		{"profile", want.Profile + "\x00" + want.ProfileYAML, cur.Profile + "\x00" + cur.ProfileYAML},
	} {
		if f.got != f.has {
			return errConflict{f.name + ": a run in progress keeps its " + f.name + "; stop it (GET /stop) and start another"}
		}
	}
	_, _, err := s.edit(editBody{Users: body.Users, SpawnRate: body.SpawnRate, Rate: body.Rate})
	return err
}

// The fields of Locust's start form, then loadgen's own.
var swarmFields = []string{"user_count", "spawn_rate", "host", "run_time", "user_classes", "shape_class", "profile", "profile_yaml", "rate"}

// swarmForm reads POST /swarm's form into a start body. Empty host and
// run_time fields are left out, as Locust leaves them: the run takes the
// defaults'. Fields Locust's form has but loadgen has no use for are
// accepted when they ask for nothing loadgen does not do (see
// checkClassFields); any other field is refused.
func (s *Server) swarmForm(w http.ResponseWriter, r *http.Request) (startBody, error) {
	var body startBody
	form, err := readForm(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return body, err
	}
	for k, v := range form {
		if !slices.Contains(swarmFields, k) {
			return body, BadRequest(fmt.Errorf("form field %q: unknown; /swarm takes %s", k, strings.Join(swarmFields, ", ")))
		}
		if len(v) > 1 && k != "user_classes" {
			return body, BadRequest(fmt.Errorf("form field %q: given %d times", k, len(v)))
		}
	}
	get := func(k string) (string, bool) {
		v, ok := form[k]
		if !ok || (v[0] == "" && (k == "host" || k == "run_time")) {
			return "", false
		}
		return v[0], true
	}
	if err := setInt(get, "user_count", &body.Users); err != nil {
		return body, err
	}
	for k, p := range map[string]**float64{"spawn_rate": &body.SpawnRate, "rate": &body.Rate} {
		if err := setFloat(get, k, p); err != nil {
			return body, err
		}
	}
	for k, p := range map[string]**string{"host": &body.Host, "profile": &body.Profile, "profile_yaml": &body.ProfileYAML} {
		if v, ok := get(k); ok {
			*p = &v
		}
	}
	if v, ok := get("run_time"); ok {
		rt := flexRunTime(v)
		body.RunTime = &rt
	}
	return body, s.checkClassFields(form["user_classes"], form["shape_class"])
}

// readForm reads a request's form body (URL-encoded or multipart, as a
// browser posts Locust's form), at most max bytes; the URL's query is not
// part of it, as in Locust.
func readForm(w http.ResponseWriter, r *http.Request, max int64) (map[string][]string, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	r.Body = http.MaxBytesReader(w, r.Body, max)
	var err error
	switch mt {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(max)
	default:
		return nil, jsonhttp.Errorf(http.StatusUnsupportedMediaType, "Content-Type %q: /swarm takes a form (application/x-www-form-urlencoded or multipart/form-data), as Locust's; JSON goes to POST /api/start", r.Header.Get("Content-Type"))
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, jsonhttp.Errorf(http.StatusRequestEntityTooLarge, "form over %d bytes", max)
	}
	if err != nil {
		return nil, BadRequest(fmt.Errorf("form: %w", err))
	}
	return r.PostForm, nil
}

func setInt(get func(string) (string, bool), k string, p **int) error {
	v, ok := get(k)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return BadRequest(fmt.Errorf("form field %s %q: want a whole number", k, v))
	}
	*p = &n
	return nil
}

func setFloat(get func(string) (string, bool), k string, p **float64) error {
	v, ok := get(k)
	if !ok {
		return nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return BadRequest(fmt.Errorf("form field %s %q: want a number", k, v))
	}
	*p = &f
	return nil
}

// checkClassFields accepts the class picker's fields of Locust's form
// when they ask for what loadgen does anyway: user_classes naming every
// class of the latest run's profile (before the first, of
// Config.Classes) (no class picker: a profile's class
// weights or --tags choose what runs), and shape_class empty or
// "Default" (a profile's stages, or --stages, shape a run).
func (s *Server) checkClassFields(classes, shape []string) error {
	if len(shape) > 0 && shape[0] != "" && shape[0] != "Default" {
		return BadRequest(fmt.Errorf("form field shape_class %q: loadgen has no shape classes; give the profile stages: (or --stages) instead", shape[0]))
	}
	if len(classes) == 0 {
		return nil
	}
	run, info, _ := s.current()
	names := s.cfg.Classes
	if run != nil {
		names = nil
		for _, c := range info.classes {
			names = append(names, c.Name)
		}
	}
	for _, c := range classes {
		if !slices.Contains(names, c) {
			return BadRequest(fmt.Errorf("form field user_classes %q: not a class of the run's profile (%s)", c, strings.Join(names, ", ")))
		}
	}
	for _, n := range names {
		if !slices.Contains(classes, n) {
			return BadRequest(fmt.Errorf("form field user_classes: leaves out class %q; loadgen runs every class of the profile by its weight (choose with weights or --tags)", n))
		}
	}
	return nil
}

// handleLocustStop is Locust's GET /stop: it stops the run in progress
// and answers once it has stopped; with none, it succeeds all the same,
// as Locust's does.
func (s *Server) handleLocustStop(w http.ResponseWriter, r *http.Request) {
	if _, _, err := s.stop(r.Context()); err != nil {
		status, msg := errorStatus(err)
		writeJSON(w, status, locustAnswer{Message: msg})
		return
	}
	writeJSON(w, http.StatusOK, locustAnswer{Success: true, Message: "Test stopped"})
}

// handleLocustReset is Locust's GET /stats/reset, answered "ok" as
// Locust's. Before any run there is nothing to reset, which is fine; a
// stopped run keeps its statistics for its reports (409).
func (s *Server) handleLocustReset(w http.ResponseWriter, r *http.Request) {
	if run := s.Current(); run != nil {
		if _, err := s.reset(); err != nil {
			status, msg := errorStatus(err)
			http.Error(w, msg, status)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok"))
}

// sameOriginOnly refuses requests that a page of another origin made the
// user's browser send: Locust's state-changing endpoints include GETs,
// which a link or an image can send, and a form POST, which any page can
// send. Scripts, which send none of the headers it reads, pass.
func sameOriginOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := foreignRequest(r); why != "" {
			writeError(w, http.StatusForbidden, "cross-origin request refused ("+why+"): "+r.Method+" "+r.URL.Path+" changes the run, so it must come from a script or from this UI's own page")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// foreignRequest says why a request comes from another origin's page, or
// "" when it does not: Sec-Fetch-Site other than same-origin or none (a
// URL typed or bookmarked), or an Origin or Referer naming another host
// than the request's Host (an opaque "null" origin included).
func foreignRequest(r *http.Request) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); site {
	case "", "same-origin", "none":
	default:
		return "Sec-Fetch-Site: " + site
	}
	for _, h := range []string{"Origin", "Referer"} {
		if v := r.Header.Get(h); v != "" && !sameHost(v, r.Host) {
			return h + ": " + v
		}
	}
	return ""
}

// sameHost reports whether an Origin or Referer URL names host (with its
// port), the request's Host.
func sameHost(rawURL, host string) bool {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, host)
}
