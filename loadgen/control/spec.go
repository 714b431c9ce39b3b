package control

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/profiles"
)

// ReadProfileSource reads a profile as --profile names it (a built-in
// name, or else a file path, as profiles.Load decides) into the form a
// RunSpec carries: workers may not share the coordinator's file system, so
// they get the file's text, not its path. Parse the result with Load so
// that the coordinator checks the very bytes its workers will run.
func ReadProfileSource(nameOrPath string) (ProfileSource, error) {
	if slices.Contains(profiles.BuiltinNames(), nameOrPath) {
		return ProfileSource{Builtin: nameOrPath}, nil
	}
	f, err := os.Open(nameOrPath)
	if err != nil {
		return ProfileSource{}, fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, profiles.MaxFileSize+1))
	if err != nil {
		return ProfileSource{}, fmt.Errorf("profile: %w", err)
	}
	if len(data) > profiles.MaxFileSize {
		return ProfileSource{}, fmt.Errorf("profile %s: larger than %d bytes; is it a profile?", nameOrPath, profiles.MaxFileSize)
	}
	return ProfileSource{Source: nameOrPath, YAML: string(data)}, nil
}

// Load parses the profile.
func (s ProfileSource) Load() (*profiles.Profile, error) {
	if s.Builtin != "" {
		return profiles.Builtin(s.Builtin)
	}
	return profiles.Parse(s.Source, []byte(s.YAML))
}

// UsersConfig builds the users of a spec as a worker runs them, numbering
// them from firstID+1: the profile parsed and compiled, the ratio and wait
// applied, a client of the spec's kind per user, random sources from the
// spec's seed.
func UsersConfig(spec RunSpec, firstID int) (users.Config, error) {
	if err := spec.validate(); err != nil {
		return users.Config{}, err
	}
	p, err := spec.Profile.Load()
	if err != nil {
		return users.Config{}, err
	}
	if spec.Ratio != "" {
		if err := profiles.ApplyRatio(p, spec.Ratio); err != nil {
			return users.Config{}, fmt.Errorf("ratio: %w", err)
		}
	}
	compiled, err := profiles.Compile(p)
	if err != nil {
		return users.Config{}, err
	}
	if err := loadgen.CheckProfile(compiled); err != nil {
		return users.Config{}, err
	}
	wait, err := profiles.ParseWait(spec.Wait)
	if err != nil {
		return users.Config{}, fmt.Errorf("wait: %w", err)
	}
	if u, err := url.Parse(spec.Host); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return users.Config{}, fmt.Errorf("host %q is not an http:// or https:// URL", spec.Host)
	}
	kind := spec.Client
	copts := client.Options{Timeout: spec.Timeout, UserAgent: spec.UserAgent}
	probe, err := client.New(kind, copts)
	if err != nil {
		return users.Config{}, err
	}
	_ = probe.Close()
	return users.Config{
		Tasks:     loadgen.ProfileTasks(compiled, spec.Host),
		Wait:      loadgen.ProfileWait(wait),
		NewClient: func() (client.Client, error) { return client.New(kind, copts) },
		Seed:      spec.Seed,
		InitUser:  loadgen.InitProfileUser,
		FirstID:   firstID,
		NewRand:   loadgen.ProfileRand(spec.Seed),
	}, nil
}
