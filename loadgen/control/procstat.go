package control

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// procSampler measures the worker process for its heartbeats: CPU use
// between two samples, and resident memory now.
type procSampler struct {
	lastCPU  time.Duration
	lastWall time.Time
}

// sample returns the CPU use since the previous sample (100 is one core)
// and the resident set size in bytes. The first sample reports CPU since
// the process started, which is what a fresh worker has used.
func (p *procSampler) sample(now time.Time) (cpuPercent float64, rss uint64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	if !p.lastWall.IsZero() {
		if wall := now.Sub(p.lastWall); wall > 0 {
			cpuPercent = 100 * float64(cpu-p.lastCPU) / float64(wall)
		}
	}
	p.lastCPU, p.lastWall = cpu, now
	rss = residentBytes()
	if rss == 0 {
		// Without /proc, the peak is the best figure there is; Linux and
		// the BSDs give it in KiB.
		rss = uint64(ru.Maxrss) * 1024
	}
	return max(cpuPercent, 0), rss
}

// residentBytes reads the resident set size from /proc/self/statm, or
// returns 0 where there is none.
func residentBytes() uint64 {
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
