package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes a file through write so that readers, and a crash,
// see either the previous file or the complete new one: it writes to a
// temporary file in the same directory, syncs it, renames it over path and
// syncs the directory.
//
// A path that is a symbolic link is written through: the file it leads to
// is replaced as above and the link stays a link. A path that is a device,
// a pipe or a socket (/dev/stdout, /dev/null, a FIFO) cannot be replaced
// and is written to directly. A directory is refused.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	return replaceFile(path, write, true)
}

// replaceFile is WriteFileAtomic; without durable it syncs neither the
// file nor the directory: a crash of the process still leaves the old file
// or the new one, whole, but a crash of the machine may not.
func replaceFile(path string, write func(io.Writer) error, durable bool) error {
	target, direct, err := resolveOutput(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if direct {
		err = writeDirect(target, write)
	} else {
		err = writeReplacing(target, write, durable)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// maxLinks bounds the symbolic links followed, as the kernel does.
const maxLinks = 40

// resolveOutput follows symbolic links from path to the name to write, and
// says whether that is written to directly rather than replaced.
func resolveOutput(path string) (target string, direct bool, err error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return path, false, nil
		case err != nil:
			return "", false, err
		case fi.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return "", false, err
			}
			if !filepath.IsAbs(link) {
				link = filepath.Join(filepath.Dir(path), link)
			}
			path = link
		case fi.IsDir():
			return "", false, errors.New("is a directory")
		case fi.Mode().IsRegular():
			return path, false, nil
		default:
			return path, true, nil
		}
	}
	return "", false, errors.New("too many levels of symbolic links")
}

// writeDirect writes to a device or a pipe as it is.
func writeDirect(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	return errors.Join(err, f.Close())
}

// writeReplacing writes a temporary file beside path and renames it over.
func writeReplacing(path string, write func(io.Writer) error, durable bool) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriter(f)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	// CreateTemp makes the file private; give it the usual mode.
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if durable {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if !durable {
		return nil
	}
	// Make the rename itself durable. Some file systems cannot sync a
	// directory; the file is complete either way, so that is not an error.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Stdout is the output path that means standard output, as in most
// command-line tools: --json - writes the JSON there.
const Stdout = "-"

// WriteOutput writes an output through write: to stdout when path is
// Stdout, else with WriteFileAtomic.
func WriteOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path != Stdout {
		return WriteFileAtomic(path, write)
	}
	if stdout == nil {
		return errors.New("write -: no standard output to write to")
	}
	bw := bufio.NewWriter(stdout)
	if err := write(bw); err != nil {
		return fmt.Errorf("write to stdout: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write to stdout: %w", err)
	}
	return nil
}

// CheckOutput tells, before a run, whether WriteFileAtomic will be able to
// write path after it, so that a mistake costs a message rather than the
// run's results: a directory is refused, and the directory a file will be
// written in is tried by creating and removing a file in it. A device or
// a pipe must exist and open for writing. Stdout is always fine.
func CheckOutput(path string) error {
	if path == Stdout {
		return nil
	}
	target, direct, err := resolveOutput(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if direct {
		f, err := os.OpenFile(target, os.O_WRONLY|syscallNonBlock, 0)
		if err != nil && !isNoReader(err) {
			return fmt.Errorf("%s: %w", path, err)
		}
		if f != nil {
			f.Close()
		}
		return nil
	}
	dir := filepath.Dir(target)
	f, err := os.CreateTemp(dir, ".loadgen-check*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("%s: cannot write in %s: %w", path, dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("%s: cannot remove a file from %s: %w", path, dir, err)
	}
	return nil
}
