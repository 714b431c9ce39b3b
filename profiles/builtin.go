package profiles

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/loadgen/loadgen/profiles/dataset"
)

// builtin holds the profiles shipped with loadgen. Test fixtures live under
// testdata, which the pattern does not reach.
//
//go:embed *.yaml
var builtin embed.FS

// builtinDir is how built-in profiles are named in error messages: where
// they live in the source tree.
const builtinDir = "profiles/"

// BuiltinNames returns the names of the built-in profiles, sorted.
func BuiltinNames() []string {
	entries, err := fs.ReadDir(builtin, ".")
	if err != nil {
		return nil // cannot happen: the directory is compiled in
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Builtin parses the built-in profile called name.
func Builtin(name string) (*Profile, error) {
	data, err := builtin.ReadFile(name + ".yaml")
	if err != nil || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("no built-in profile %q; the built-in profiles are %s", name, strings.Join(BuiltinNames(), ", "))
	}
	return Parse(builtinDir+name+".yaml", data)
}

// Load reads a profile given as --profile takes it: the name of a built-in
// profile (see BuiltinNames), or else the path of a YAML file. A built-in
// name wins over a file of the same name in the working directory; write
// ./albums to mean the file.
func Load(nameOrPath string) (*Profile, error) {
	if slices.Contains(BuiltinNames(), nameOrPath) {
		return Builtin(nameOrPath)
	}
	p, err := LoadFile(nameOrPath)
	if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(nameOrPath, `/\.`) {
		return nil, fmt.Errorf("profile %q is neither a built-in profile (%s) nor a file: %w",
			nameOrPath, strings.Join(BuiltinNames(), ", "), err)
	}
	return p, err
}

// LoadFile reads and parses the profile file at path, and the data files
// its classes name (see LoadData). Files over MaxFileSize are refused.
func LoadFile(path string) (*Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("profile %s: larger than %d bytes; is it a profile?", path, MaxFileSize)
	}
	p, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if err := LoadData(p); err != nil {
		return nil, err
	}
	return p, nil
}

// LoadData reads the data file of every class that has one and has no rows
// yet, from Data.Path (relative paths are relative to the profile file).
// Errors name the profile's file and line.
func LoadData(p *Profile) error {
	var errs ErrorList
	for i := range p.Classes {
		c := &p.Classes[i]
		if c.Data == nil || c.Data.Table != nil {
			continue
		}
		t, err := dataset.Load(c.Data.Path)
		if err != nil {
			errs = append(errs, &Error{File: p.Source, Line: c.Data.Line, Field: join(c.Field, "data"), Err: err})
			continue
		}
		c.Data.Table = t
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
