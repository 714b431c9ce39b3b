package control

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// LocalFleet is worker processes started on this machine, as a
// coordinator that runs its own workers (`--workers N`) starts them.
type LocalFleet struct {
	cmds []*exec.Cmd
	done []chan struct{} // closed when the process has exited
	errs []error         // each process's exit, once done is closed
}

// StartLocalFleet starts the commands, which must each run a worker of
// this coordinator. Each goes in its own process group, so that the
// terminal's Ctrl-C reaches only the coordinator, which then ends the run
// in order (stop, final reports, quit) instead of every worker leaving on
// its own. If one fails to start, those already started are killed.
func StartLocalFleet(cmds []*exec.Cmd) (*LocalFleet, error) {
	// errs is made whole before any process starts: the goroutines that
	// wait for them write into it while later ones are started.
	f := &LocalFleet{errs: make([]error, len(cmds))}
	for i, cmd := range cmds {
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Setpgid = true
		if err := cmd.Start(); err != nil {
			f.Kill()
			_ = f.Wait(time.Second)
			return nil, fmt.Errorf("starting worker %d of %d: %w", i+1, len(cmds), err)
		}
		done := make(chan struct{})
		f.cmds = append(f.cmds, cmd)
		f.done = append(f.done, done)
		go func(i int) {
			f.errs[i] = cmd.Wait()
			close(done)
		}(i)
	}
	return f, nil
}

// PIDs returns the workers' process IDs, in start order.
func (f *LocalFleet) PIDs() []int {
	out := make([]int, len(f.cmds))
	for i, c := range f.cmds {
		out[i] = c.Process.Pid
	}
	return out
}

// Wait waits up to timeout for every worker to exit, kills those still
// running then, and returns how each worker that did not exit cleanly
// ended, joined, or nil.
func (f *LocalFleet) Wait(timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for _, d := range f.done {
		select {
		case <-d:
		case <-deadline.C:
			f.Kill()
			for _, d := range f.done {
				<-d
			}
		}
	}
	var errs []error
	for i, err := range f.errs {
		if err != nil {
			errs = append(errs, fmt.Errorf("worker process %d (pid %d): %w", i+1, f.cmds[i].Process.Pid, err))
		}
	}
	return errors.Join(errs...)
}

// Kill kills every worker still running.
func (f *LocalFleet) Kill() {
	for i, c := range f.cmds {
		select {
		case <-f.done[i]:
		default:
			_ = c.Process.Kill()
		}
	}
}
