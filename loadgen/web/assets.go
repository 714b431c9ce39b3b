package web

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// static is the page: HTML, one script and one stylesheet, compiled into
// the binary so the UI works offline and needs no CDN.
//
//go:embed static
var static embed.FS

func staticFiles() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the directory is compiled in
	}
	return sub
}

// staticHandler serves the script and stylesheet under /static/, without
// directory listings.
func staticHandler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(staticFiles()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	page, err := fs.ReadFile(staticFiles(), "index.html")
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(page)
}
