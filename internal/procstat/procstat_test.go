package procstat

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// spin keeps this goroutine busy until the process has used d more CPU
// time, or gives up after a minute of wall time, however busy the
// machine is.
func spin(t *testing.T, d time.Duration) {
	t.Helper()
	start := CPU()
	for limit := time.Now().Add(time.Minute); CPU()-start < d; {
		if time.Now().After(limit) {
			t.Fatalf("a minute of spinning used only %v of CPU", CPU()-start)
		}
	}
}

func TestSampler(t *testing.T) {
	var s Sampler
	if cpu, rss := s.Sample(time.Now()); cpu != 0 || rss == 0 {
		t.Errorf("first sample: cpu %v%%, rss %d", cpu, rss)
	}
	spin(t, 30*time.Millisecond)
	cpu, rss := s.Sample(time.Now())
	if cpu <= 0 || rss == 0 {
		t.Errorf("after spinning: cpu %v%%, rss %d", cpu, rss)
	}
	// With no time gone by, there is no rate to give.
	now := time.Now()
	s.Sample(now)
	if cpu, _ := s.Sample(now); cpu != 0 {
		t.Errorf("two samples at the same instant: cpu %v%%", cpu)
	}
}

func TestExitedAndChildren(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	before := ChildrenCPU()
	cmd := exec.Command(exe, "-test.run", "^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	cpu, rss := Exited(cmd.ProcessState)
	if cpu <= 0 || rss <= 0 {
		t.Errorf("exited child: cpu %v, peak rss %d", cpu, rss)
	}
	if got := ChildrenCPU() - before; got < cpu {
		t.Errorf("children's CPU grew by %v, less than the one child's %v", got, cpu)
	}
	if c, r := Exited(nil); c != 0 || r != 0 {
		t.Error("nil process state")
	}
}
