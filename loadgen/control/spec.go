package control

import (
	"fmt"

	"github.com/loadgen/loadgen/internal/netaddr"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/loadgen/client"
	"github.com/loadgen/loadgen/loadgen/control/wire"
	"github.com/loadgen/loadgen/loadgen/users"
	"github.com/loadgen/loadgen/profiles"
)

// UsersConfig builds the users of a spec as a worker runs them, numbering
// them from firstID+1: the profile parsed and compiled, the ratio and wait
// applied, a client of the spec's kind per user, random sources from the
// spec's seed.
func UsersConfig(spec wire.RunSpec, firstID int) (users.Config, error) {
	if err := spec.Validate(); err != nil {
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
	if err := netaddr.CheckBaseURL(spec.Host); err != nil {
		return users.Config{}, fmt.Errorf("host %q: %w", spec.Host, err)
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
