package report

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func writeHello(w io.Writer) error {
	_, err := io.WriteString(w, "hello\n")
	return err
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWriteFileAtomicThroughLinksAndDevices(t *testing.T) {
	dir := t.TempDir()
	t.Run("regular file is replaced", func(t *testing.T) {
		p := filepath.Join(dir, "out.json")
		os.WriteFile(p, []byte("old"), 0o644)
		if err := WriteFileAtomic(p, writeHello); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, p); got != "hello\n" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("symbolic link is written through", func(t *testing.T) {
		target := filepath.Join(dir, "real.json")
		os.WriteFile(target, []byte("old"), 0o644)
		link := filepath.Join(dir, "link.json")
		if err := os.Symlink("real.json", link); err != nil {
			t.Fatal(err)
		}
		if err := WriteFileAtomic(link, writeHello); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
		}
		if got := readFile(t, target); got != "hello\n" {
			t.Errorf("target holds %q", got)
		}
	})
	t.Run("dangling link creates its target", func(t *testing.T) {
		link := filepath.Join(dir, "dangling.json")
		os.Symlink(filepath.Join(dir, "new.json"), link)
		if err := WriteFileAtomic(link, writeHello); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
			t.Error("the link was replaced")
		}
		if got := readFile(t, filepath.Join(dir, "new.json")); got != "hello\n" {
			t.Errorf("target holds %q", got)
		}
	})
	t.Run("directory is refused", func(t *testing.T) {
		sub := filepath.Join(dir, "sub")
		os.Mkdir(sub, 0o755)
		err := WriteFileAtomic(sub, writeHello)
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("err %v, want is a directory", err)
		}
		if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
			t.Errorf("the directory is gone: %v", err)
		}
	})
	t.Run("pipe behind a link is written to, not replaced", func(t *testing.T) {
		// /dev/stdout is a link to the process's descriptor, often a pipe.
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Skip("no FIFOs here:", err)
		}
		link := filepath.Join(dir, "stdout")
		os.Symlink(fifo, link)
		got := make(chan string, 1)
		go func() {
			f, err := os.Open(fifo)
			if err != nil {
				got <- err.Error()
				return
			}
			defer f.Close()
			b, _ := io.ReadAll(f)
			got <- string(b)
		}()
		if err := WriteFileAtomic(link, writeHello); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-got:
			if s != "hello\n" {
				t.Errorf("the reader got %q", s)
			}
		case <-time.After(5 * time.Second):
			t.Error("nothing was written to the FIFO in 5s")
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close() // lets the reader go
			}
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
		}
	})
}

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.Symlink(sub, filepath.Join(dir, "sublink"))
	tests := []struct {
		path string
		want string // error text; "" for none
	}{
		{filepath.Join(dir, "new.json"), ""},
		{"/dev/null", ""},
		{sub, "is a directory"},
		{filepath.Join(dir, "sublink"), "is a directory"},
		{filepath.Join(dir, "missing", "out.json"), "cannot write in"},
		{"/proc/self/out.json", "cannot write in /proc/self"}, // read-only even for root
	}
	for _, tt := range tests {
		err := CheckOutput(tt.path)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckOutput(%s): %v", tt.path, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("CheckOutput(%s): %v, want %q", tt.path, err, tt.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("the checks left files behind: %v", entries)
	}
}
