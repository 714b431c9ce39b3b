package albumsvc

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// routes wires the API. Each path also gets a method-less pattern: the
// method-specific ones win, so the fallback sees only methods nobody
// handles and answers 405 with a JSON body (the mux's own 405 is plain
// text).
func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /albums", s.listAlbums)
	mux.HandleFunc("POST /albums", s.createAlbum)
	mux.HandleFunc("/albums", methodNotAllowed("GET, HEAD, POST"))
	mux.HandleFunc("GET /albums/{id}", s.getAlbum)
	mux.HandleFunc("/albums/{id}", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("/healthz", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("GET "+metricsPath, s.metrics)
	mux.HandleFunc(metricsPath, methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/", notFound)
	return canonical(mux)
}

// canonical answers a request for a path that is not in canonical form
// ("//albums", "/albums/../albums") with a JSON redirect to the canonical
// one, which the mux would otherwise send as HTML.
func canonical(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		clean := path.Clean(p)
		if p == "" || p[0] != '/' {
			clean = "/" + path.Clean(p)
		}
		if clean != "/" && strings.HasSuffix(p, "/") && clean+"/" == p {
			clean = p // a trailing slash is the route's business
		}
		if r.Method == http.MethodConnect || clean == p {
			next.ServeHTTP(w, r)
			return
		}
		u := *r.URL
		u.Path, u.RawPath = clean, ""
		w.Header().Set("Location", u.RequestURI())
		writeError(w, http.StatusMovedPermanently, "path %s is not canonical: use %s", echo(p), echo(clean))
	})
}

// errorBody is the JSON shape of every error answer.
type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only albums and error bodies are encoded; both always marshal.
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the response failed"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, errorBody{Error: fmt.Sprintf(format, args...)})
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s; allowed: %s", clip(r.Method), clip(r.URL.Path), allow)
	}
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "no such endpoint: %s %s", clip(r.Method), clip(r.URL.Path))
}

func (s *Service) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Status string `json:"status"`
		Albums int    `json:"albums"`
	}{"ok", s.store.Len()})
}

// listAlbums answers all albums in id order, or one page of them. Because
// ids are dense, offset M is simply "ids after M", which every store can
// serve without scanning the ids before it.
func (s *Service) listAlbums(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := int64(-1), int64(0)
	var ok bool
	if v, present := q["limit"]; present {
		if limit, ok = parseCount(v); !ok || limit < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive integer, got %s", echo(strings.Join(v, ",")))
			return
		}
	}
	if v, present := q["offset"]; present {
		if offset, ok = parseCount(v); !ok {
			writeError(w, http.StatusBadRequest, "offset must be a non-negative integer, got %s", echo(strings.Join(v, ",")))
			return
		}
	}
	if limit > int64(maxInt) {
		limit = int64(maxInt)
	}
	writeJSON(w, http.StatusOK, s.store.List(offset, int(limit)))
}

const maxInt = int(^uint(0) >> 1)

// parseCount accepts exactly one query value made only of decimal digits
// (no sign, no spaces) that fits an int64.
func parseCount(vals []string) (int64, bool) {
	if len(vals) != 1 {
		return 0, false
	}
	return parseDigits(vals[0])
}

func parseDigits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

func (s *Service) getAlbum(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("id")
	id, ok := parseDigits(raw)
	if !ok || id < 1 {
		writeError(w, http.StatusBadRequest, "album id must be a positive integer, got %s", echo(raw))
		return
	}
	a, found := s.store.Get(id)
	if !found {
		writeError(w, http.StatusNotFound, "album %d not found", id)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Service) createAlbum(w http.ResponseWriter, r *http.Request) {
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		writeError(w, http.StatusUnsupportedMediaType, "%v", err)
		return
	}
	if r.ContentLength > maxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", maxBodyBytes)
		return
	}
	a, err := decodeAlbum(http.MaxBytesReader(w, r.Body, maxBodyBytes), s.cfg.MaxFieldBytes)
	if err != nil {
		var in *inputError
		if errors.As(err, &in) {
			writeError(w, in.status, "%s", in.msg)
			return
		}
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	a, err = s.create(a)
	if errors.Is(err, errCatalogueFull) {
		writeError(w, http.StatusInsufficientStorage, "the catalogue is full: it holds its limit of %d albums", s.cfg.MaxAlbums)
		return
	}
	if err != nil {
		s.log.Error("album not stored", "err", err)
		writeError(w, http.StatusServiceUnavailable, "album not stored: %v", err)
		return
	}
	w.Header().Set("Location", "/albums/"+strconv.FormatInt(a.ID, 10))
	writeJSON(w, http.StatusCreated, a)
}

// checkContentType accepts application/json, with an optional charset
// parameter that must then be UTF-8, the only encoding JSON allows.
func checkContentType(ct string) error {
	if ct == "" {
		return errors.New("Content-Type is missing: want application/json")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("Content-Type %s is malformed: want application/json", echo(ct))
	}
	if mt != "application/json" {
		return fmt.Errorf("Content-Type %s is not supported: want application/json", echo(ct))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return fmt.Errorf("charset %s is not supported: JSON must be UTF-8", echo(cs))
	}
	return nil
}
