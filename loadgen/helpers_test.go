package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/loadgen/loadgen/loadgen/users"
)

// goSpec is a Spec whose users run Go tasks.
func goSpec(tasks []users.Task) *Spec {
	return &Spec{Client: "fasthttp", Timeout: time.Minute, Workload: &Workload{Tasks: tasks}}
}

// profileSpec is a Spec that runs a built-in profile against host.
func profileSpec(name, ratio, host string) *Spec {
	s := &Spec{Client: "fasthttp", Timeout: time.Minute, Host: host, Ratio: ratio}
	s.Profile.Builtin = name
	return s
}

// startLocal starts s in this process.
func startLocal(t *testing.T, ctx context.Context, s *Spec, h Hooks) Run {
	t.Helper()
	r, err := Start(ctx, Local{}, s, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(context.Background()) })
	return r
}

// doLocal runs s in this process to its end.
func doLocal(t *testing.T, ctx context.Context, s *Spec, h Hooks) *Result {
	t.Helper()
	res, err := Do(ctx, s, h)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// local is the engine's run under what Start adds.
func local(r Run) *localRun { return r.(*run).Run.(*localRun) }

// usersOf is the users a run in this process runs now.
func usersOf(r Run) int { return local(r).users.Count() }

// targetOf is what a run in this process was last asked for.
func targetOf(r Run) Change { return *local(r).target.Load() }
