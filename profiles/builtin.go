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

// Source is a profile as a run carries it: the name of a built-in
// profile, or a file's text with the name to use in its error messages.
// It is what workers of a distributed run get, since they need not share
// the coordinator's file system: each parses and checks it itself.
type Source struct {
	Builtin string `json:"builtin,omitempty"`
	File    string `json:"source,omitempty"`
	YAML    string `json:"yaml,omitempty"`
	// Data holds the text of the data files the profile's classes name,
	// by the file name as the profile writes it, so that workers deal
	// from the coordinator's rows without the files.
	Data map[string]string `json:"data,omitempty"`
}

// MaxDataSize bounds the data files of one profile together: a
// coordinator sends them to every worker with the run's spec.
const MaxDataSize = dataset.MaxSize

// ReadSource reads a profile as --profile names it: the name of a built-in
// profile (see BuiltinNames), or else the path of a YAML file, whose text
// it reads. A built-in name wins over a file of the same name in the
// working directory; write ./albums to mean the file. A name that is
// neither is an error that lists the built-in profiles.
func ReadSource(nameOrPath string) (Source, error) {
	if slices.Contains(BuiltinNames(), nameOrPath) {
		return Source{Builtin: nameOrPath}, nil
	}
	data, err := readFile(nameOrPath)
	if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(nameOrPath, `/\.`) {
		return Source{}, fmt.Errorf("profile %q is neither a built-in profile (%s) nor a file (%w)",
			nameOrPath, strings.Join(BuiltinNames(), ", "), err)
	}
	if err != nil {
		return Source{}, err
	}
	src := Source{File: nameOrPath, YAML: string(data)}
	if err := src.readData(); err != nil {
		return Source{}, err
	}
	return src, nil
}

// readData reads the data files the profile names into s.Data. A profile
// that does not parse is left for Load to report.
func (s *Source) readData() error {
	p, err := Parse(s.File, []byte(s.YAML))
	if err != nil {
		return nil
	}
	total := 0
	for _, c := range p.Classes {
		if c.Data == nil {
			continue
		}
		if _, done := s.Data[c.Data.File]; done {
			continue
		}
		text, err := os.ReadFile(c.Data.Path)
		if err != nil {
			return &Error{File: p.Source, Line: c.Data.Line, Field: join(c.Field, "data"), Err: fmt.Errorf("data file: %w", err)}
		}
		if total += len(text); total > MaxDataSize {
			return &Error{File: p.Source, Line: c.Data.Line, Field: join(c.Field, "data"),
				Err: fmt.Errorf("the profile's data files add up to more than %d MiB; split the load, or the files", MaxDataSize>>20)}
		}
		if s.Data == nil {
			s.Data = map[string]string{}
		}
		s.Data[c.Data.File] = string(text)
	}
	return nil
}

// Check reports a source that is neither a built-in name nor a file's
// text, or both.
func (s Source) Check() error {
	switch {
	case s.Builtin == "" && s.YAML == "":
		return errors.New("profile: neither builtin nor yaml is set")
	case s.Builtin != "" && s.YAML != "":
		return errors.New("profile: both builtin and yaml are set")
	}
	return nil
}

// Load parses the profile, and reads the data files its classes name.
func (s Source) Load() (*Profile, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	if s.Builtin != "" {
		return Builtin(s.Builtin)
	}
	p, err := Parse(s.File, []byte(s.YAML))
	if err != nil {
		return nil, err
	}
	// Rows that came with the source are used as they are; without
	// them, the files are read from where the profile says.
	var errs ErrorList
	for i := range p.Classes {
		c := &p.Classes[i]
		if c.Data == nil {
			continue
		}
		if text, ok := s.Data[c.Data.File]; ok {
			t, err := dataset.Parse(c.Data.File, strings.NewReader(text))
			if err != nil {
				errs = append(errs, &Error{File: p.Source, Line: c.Data.Line, Field: join(c.Field, "data"), Err: err})
			}
			c.Data.Table = t
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := LoadData(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Name is how the source is named in messages: the built-in name or the
// file.
func (s Source) Name() string {
	if s.Builtin != "" {
		return s.Builtin
	}
	return s.File
}

// Load reads and parses a profile given as --profile takes it (see
// ReadSource).
func Load(nameOrPath string) (*Profile, error) {
	src, err := ReadSource(nameOrPath)
	if err != nil {
		return nil, err
	}
	return src.Load()
}

// LoadFile reads and parses the profile file at path, and the data files
// its classes name (see LoadData). Files over MaxFileSize are refused.
func LoadFile(path string) (*Profile, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return parseWithData(path, data)
}

// parseWithData parses a profile file's text and reads its data files.
func parseWithData(path string, data []byte) (*Profile, error) {
	p, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	if err := LoadData(p); err != nil {
		return nil, err
	}
	return p, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("profile %s: larger than %d bytes; is it a profile?", path, MaxFileSize)
	}
	return data, nil
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
