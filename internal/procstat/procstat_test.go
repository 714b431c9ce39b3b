package procstat

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func burn(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}

func TestCPUGrowsWithWork(t *testing.T) {
	before := CPU()
	burn(50 * time.Millisecond)
	if got := CPU() - before; got < 20*time.Millisecond {
		t.Errorf("50 ms of spinning counted as %v of CPU", got)
	}
}

func TestSampler(t *testing.T) {
	var s Sampler
	t0 := time.Now()
	if cpu, rss := s.Sample(t0); cpu != 0 || rss == 0 {
		t.Errorf("first sample: cpu %v%%, rss %d", cpu, rss)
	}
	burn(100 * time.Millisecond)
	cpu, rss := s.Sample(time.Now())
	if cpu < 20 || cpu > 1000 || rss == 0 {
		t.Errorf("after spinning: cpu %v%%, rss %d", cpu, rss)
	}
}

func TestExitedAndChildren(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run", "^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	cpu, rss := Exited(cmd.ProcessState)
	if cpu <= 0 || rss <= 0 {
		t.Errorf("exited child: cpu %v, peak rss %d", cpu, rss)
	}
	if ChildrenCPU() < cpu {
		t.Errorf("children's CPU %v is below the one child's %v", ChildrenCPU(), cpu)
	}
	if c, r := Exited(nil); c != 0 || r != 0 {
		t.Error("nil process state")
	}
}
