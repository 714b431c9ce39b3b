package main

import (
	"syscall"
	"time"
)

// processCPU is the user and system CPU time this process has used, so a
// run can report its CPU cost per request.
func processCPU() time.Duration { return rusageCPU(syscall.RUSAGE_SELF) }

// childrenCPU is the CPU time of this process's finished and reaped child
// processes: the workers of a --workers run, once they have exited.
func childrenCPU() time.Duration { return rusageCPU(syscall.RUSAGE_CHILDREN) }

func rusageCPU(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
