// Package procstat measures processes: the CPU time and memory that runs
// report per request, and that workers put in their heartbeats. It reads
// getrusage and /proc, the one place loadgen does.
package procstat

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// CPU is the user and system CPU time this process has used.
func CPU() time.Duration { return rusageCPU(syscall.RUSAGE_SELF) }

// ChildrenCPU is the CPU time of this process's finished and reaped child
// processes, such as the workers of a run that started its own.
func ChildrenCPU() time.Duration { return rusageCPU(syscall.RUSAGE_CHILDREN) }

func rusageCPU(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return cpuOf(&ru)
}

func cpuOf(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Exited is the CPU time and peak resident memory, in bytes, of a child
// process that has exited, from what Wait collected; zero where the
// system does not say.
func Exited(ps *os.ProcessState) (cpu time.Duration, maxRSS int64) {
	if ps == nil {
		return 0, 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0
	}
	// Linux gives the peak in KiB.
	return cpuOf(ru), ru.Maxrss * 1024
}

// Sampler measures this process at intervals: its CPU use between two
// samples and its resident memory.
type Sampler struct {
	lastCPU  time.Duration
	lastWall time.Time
}

// Sample returns the CPU use since the previous sample (100 is one core)
// and the resident set size in bytes. The first sample has no CPU figure
// to compare with and reports zero.
func (p *Sampler) Sample(now time.Time) (cpuPercent float64, rss uint64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	cpu := cpuOf(&ru)
	if !p.lastWall.IsZero() {
		if wall := now.Sub(p.lastWall); wall > 0 {
			cpuPercent = 100 * float64(cpu-p.lastCPU) / float64(wall)
		}
	}
	p.lastCPU, p.lastWall = cpu, now
	rss = ResidentBytes()
	if rss == 0 {
		// Without /proc, the peak is the best figure there is; Linux and
		// the BSDs give it in KiB.
		rss = uint64(ru.Maxrss) * 1024
	}
	return max(cpuPercent, 0), rss
}

// ResidentBytes is this process's resident set size from
// /proc/self/statm, or 0 where there is none.
func ResidentBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := bytes.Fields(data)
	if len(fields) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(fields[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}
