package profiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestBuiltinNames(t *testing.T) {
	want := []string{"albums", "albums-by-id", "smoke"}
	if got := BuiltinNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("BuiltinNames() = %v, want %v", got, want)
	}
}

// TestBuiltinsCompile loads every built-in profile by name and renders each
// of its tasks, which is what a run does first.
func TestBuiltinsCompile(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			p, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != name || p.Source != "profiles/"+name+".yaml" {
				t.Errorf("Name, Source = %q, %q", p.Name, p.Source)
			}
			c, err := Compile(p)
			if err != nil {
				t.Fatal(err)
			}
			ctx := NewRenderContext(1, 1)
			var r Rendered
			for _, task := range c.Tasks() {
				for _, step := range task.Steps {
					if err := step.Render(ctx, &r); err != nil {
						t.Errorf("%s %s: %v", step.Method, step.Name, err)
					}
				}
			}
		})
	}
}

func TestBuiltinAlbums(t *testing.T) {
	c := mustCompileBuiltin(t, "albums")
	tasks := c.Tasks()
	get, post := tasks[0].Steps[0], tasks[1].Steps[0]
	if get.Method != "GET" || get.Name != "/albums" || tasks[0].Weight != 3 || !get.Static {
		t.Errorf("first task = %+v, want a static GET /albums of weight 3", get)
	}
	if post.Method != "POST" || post.Name != "/albums" || tasks[1].Weight != 1 {
		t.Errorf("second task = %+v, want POST /albums of weight 1", post)
	}
	if !post.Expect(201) || post.Expect(200) {
		t.Error("POST /albums must expect 201 and only 201")
	}
	ctx := NewRenderContext(42, 3)
	var r Rendered
	for i := range 200 {
		if err := post.Render(ctx, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Headers) != 1 || r.Headers[0].Name != "Content-Type" || string(r.Headers[0].Value) != "application/json" {
			t.Fatalf("headers = %q", r.Headers)
		}
		var album struct {
			Title  string  `json:"title"`
			Artist string  `json:"artist"`
			Price  float64 `json:"price"`
		}
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&album); err != nil {
			t.Fatalf("body %s is not an album: %v", r.Body, err)
		}
		if want := "Album 3-" + strconv.Itoa(i+1); album.Title != want {
			t.Errorf("title = %q, want %q", album.Title, want)
		}
		if len(album.Artist) != 8 || album.Price < 1.99 || album.Price > 100.99 {
			t.Errorf("album = %+v, want an 8-letter artist and a price from 1.99 to 100.99", album)
		}
	}
}

func TestBuiltinAlbumsByID(t *testing.T) {
	c := mustCompileBuiltin(t, "albums-by-id")
	if len(c.Tasks()) != 1 {
		t.Fatalf("%d tasks, want 1", len(c.Tasks()))
	}
	task := c.Tasks()[0].Steps[0]
	if task.Name != "/albums/{id}" || task.Method != "GET" {
		t.Errorf("task = %s %s", task.Method, task.Name)
	}
	seen := map[string]bool{}
	ctx := NewRenderContext(7, 0)
	var r Rendered
	for range 300 {
		if err := task.Render(ctx, &r); err != nil {
			t.Fatal(err)
		}
		seen[string(r.Path)] = true
	}
	want := map[string]bool{"/albums/1": true, "/albums/2": true, "/albums/3": true}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("paths = %v, want the three preloaded albums", seen)
	}
}

func TestBuiltinSmoke(t *testing.T) {
	c := mustCompileBuiltin(t, "smoke")
	p := c.Profile
	if p.Users != 10 || p.RunTime != 10*time.Second || p.SpawnRate <= 0 {
		t.Errorf("users %d, run time %v, spawn rate %v: want a short run of a few users", p.Users, p.RunTime, p.SpawnRate)
	}
	if tasks := c.Tasks(); len(tasks) != 2 || tasks[0].Weight != 3 || tasks[1].Weight != 1 {
		t.Errorf("want a 3:1 mix of two tasks, got %d tasks", len(tasks))
	}
	var exprs []string
	for _, th := range p.Thresholds {
		exprs = append(exprs, th.Expr)
		if th.Line == 0 {
			t.Errorf("threshold %q has no line", th.Expr)
		}
	}
	if want := []string{"p99<250ms", "fail_ratio<0.01", "rps>50"}; !reflect.DeepEqual(exprs, want) {
		t.Errorf("thresholds = %q, want %q", exprs, want)
	}
}

func mustCompileBuiltin(t *testing.T, name string) *Compiled {
	t.Helper()
	p, err := Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadUnknownName(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := Load("album")
	if err == nil || !strings.Contains(err.Error(), `profile "album" is neither a built-in profile (albums, albums-by-id, smoke) nor a file`) {
		t.Errorf("Load(album) = %v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v should wrap fs.ErrNotExist", err)
	}
	if _, err := Builtin("../albums"); err == nil {
		t.Error("Builtin accepted a path")
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(path, []byte("tasks:\n  - path: /x\n    weight: -1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":3: tasks[0].weight: must be >= 0, got -1") {
		t.Errorf("Load(%s) = %v, want the weight error located in the file", path, err)
	}

	if err := os.WriteFile(path, []byte("tasks:\n  - path: /x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path)
	if err != nil || p.Name != "mine" || p.Source != path {
		t.Errorf("Load(%s) = %+v, %v", path, p, err)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}

	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#\n"), MaxFileSize), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadFile(big) = %v, want a size error", err)
	}
}

func TestReadSource(t *testing.T) {
	builtin := BuiltinNames()[0]
	src, err := ReadSource(builtin)
	if err != nil || !reflect.DeepEqual(src, Source{Builtin: builtin}) {
		t.Fatalf("built-in %q: %+v, %v", builtin, src, err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	text := "name: source-test\ntasks:\n  - path: /u\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err = ReadSource(path)
	if err != nil || src.YAML != text || src.File != path || src.Builtin != "" || src.Name() != path {
		t.Fatalf("file: %+v, %v", src, err)
	}
	p, err := src.Load()
	if err != nil || p.Name != "source-test" {
		t.Fatalf("Load: %+v, %v", p, err)
	}
	if _, err := ReadSource(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("a missing file was read")
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSource(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("an oversized file: %v", err)
	}
	for _, bad := range []Source{{}, {Builtin: "albums", YAML: "x"}} {
		if _, err := bad.Load(); err == nil {
			t.Errorf("%+v loaded", bad)
		}
	}
}

// TestReadSourceNamesBuiltins: a mistyped built-in name gets the list of
// built-in profiles, not a bare "no such file".
func TestReadSourceNamesBuiltins(t *testing.T) {
	_, err := ReadSource("albumz")
	if err == nil || !strings.Contains(err.Error(), `profile "albumz" is neither a built-in profile (albums, `) {
		t.Errorf("ReadSource(albumz) = %v", err)
	}
}

// TestSourceCarriesData: a source read from a file carries its data files,
// and loads from them where the files are not, as a worker does.
func TestSourceCarriesData(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(path, []byte("data: {file: users.csv}\ntasks:\n  - path: '/u/{{.user}}'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSource(path); err == nil || !strings.Contains(err.Error(), "p.yaml:1: data: data file: open ") {
		t.Errorf("a missing data file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.csv"), []byte("user\nann\nbob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src, err := ReadSource(path)
	if err != nil || src.Data["users.csv"] != "user\nann\nbob\n" {
		t.Fatalf("source %+v, %v", src, err)
	}
	// Elsewhere, without the files.
	src.File = filepath.Join(t.TempDir(), "p.yaml")
	p, err := src.Load()
	if err != nil {
		t.Fatal(err)
	}
	if tb := p.Classes[0].Data.Table; tb == nil || len(tb.Rows) != 2 || tb.Rows[1][0] != "bob" {
		t.Errorf("rows %+v", tb)
	}
	b, err := json.Marshal(src)
	if err != nil || !strings.Contains(string(b), `"data":{"users.csv":`) {
		t.Errorf("JSON %s, %v", b, err)
	}
}
