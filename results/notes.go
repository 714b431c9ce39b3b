package results

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// ExceptionKey describes a group of exceptions: panics of user code with
// one stack. As in Locust's exceptions.csv, the stack (Traceback) is what
// groups them, and Message is the first one's.
type ExceptionKey struct {
	Message   string
	Traceback string
}

// ExceptionStats is one group of exceptions in a Snapshot.
type ExceptionStats struct {
	ExceptionKey
	Count int64
	// Nodes names where they happened: "local" in one process, the
	// workers' names in a distributed run; sorted.
	Nodes []string
}

// SkippedStats counts the requests of an entry that were not sent because
// an earlier step of their task failed.
type SkippedStats struct {
	EntryKey
	Count int64
}

// AbandonedStats counts the requests that were still in flight when a
// run stopped and its stop timeout ran out: they were sent, but are in
// neither the successes nor the failures, since the run, not the target,
// ended them.
type AbandonedStats struct {
	Count int64
	// Oldest is how long the oldest of them had been in flight when it
	// was cut off.
	Oldest time.Duration
}

// add counts o in a, failing, with a unchanged, if the count would
// overflow.
func (a *AbandonedStats) add(o AbandonedStats) error {
	if o.Count > math.MaxInt64-a.Count {
		return fmt.Errorf("%d abandoned requests more would overflow the count", o.Count)
	}
	a.Count += o.Count
	a.Oldest = max(a.Oldest, o.Oldest)
	return nil
}

// PauseStats sums up the generator's pauses: times when a thread that does
// nothing but sleep woke far later than it asked to, because neither the
// machine nor the process ran it (a virtual machine paused by its host, a
// noisy neighbour on the core, a long stop of the runtime). Requests in
// flight across a pause have it in their latencies, and an open-model
// schedule falls behind by as much: the target is not to blame for them.
type PauseStats struct {
	// Count is the number of pauses; Total adds up their lengths, and Max
	// is the longest.
	Count      int64
	Total, Max time.Duration
}

// add counts o in p, failing, with p unchanged, if a sum would overflow.
func (p *PauseStats) add(o PauseStats) error {
	if o.Count > math.MaxInt64-p.Count || o.Total > math.MaxInt64-p.Total {
		return fmt.Errorf("%d pauses more would overflow the count", o.Count)
	}
	p.Count += o.Count
	p.Total += o.Total
	p.Max = max(p.Max, o.Max)
	return nil
}

// Limits on the notes a delta or an aggregate keeps, so that user code
// that panics with a new message every time cannot grow them without
// bound: past them, exceptions are counted in one overflow group.
const (
	maxExceptionGroups = 100
	maxTracebackBytes  = 16 << 10
	maxNodesPerGroup   = 64
)

// overflowException is the group that counts the exceptions past
// maxExceptionGroups.
var overflowException = ExceptionKey{Message: "other exceptions (too many distinct ones)", Traceback: "(too many distinct tracebacks to keep)"}

// LocalNode names the one process of a run that is not distributed, in
// exceptions' nodes.
const LocalNode = "local"

type exceptionCount struct {
	msg   string // the first exception's
	count int64
	nodes []string // sorted, distinct
}

func (e *exceptionCount) add(count int64, nodes []string) {
	e.count += count
	for _, n := range nodes {
		if i, found := slices.BinarySearch(e.nodes, n); !found && len(e.nodes) < maxNodesPerGroup {
			e.nodes = slices.Insert(e.nodes, i, n)
		}
	}
}

// capKey cuts an exception's text to what a report can hold.
func capKey(k ExceptionKey) ExceptionKey {
	if len(k.Traceback) > maxTracebackBytes {
		k.Traceback = k.Traceback[:maxTracebackBytes] + "\n..."
	}
	if len(k.Message) > maxTracebackBytes {
		k.Message = k.Message[:maxTracebackBytes] + "..."
	}
	return k
}

// addException counts an exception in m, which is keyed by traceback.
func addException(m *map[string]*exceptionCount, k ExceptionKey, count int64, nodes []string) {
	if *m == nil {
		*m = make(map[string]*exceptionCount)
	}
	k = capKey(k)
	if _, ok := (*m)[k.Traceback]; !ok && k != overflowException {
		n := len(*m)
		if _, has := (*m)[overflowException.Traceback]; has {
			n-- // the overflow group does not count toward the limit
		}
		if n >= maxExceptionGroups {
			k = overflowException
		}
	}
	e := (*m)[k.Traceback]
	if e == nil {
		e = &exceptionCount{msg: k.Message}
		(*m)[k.Traceback] = e
	}
	e.add(count, nodes)
}

func addSkipped(m *map[EntryKey]int64, k EntryKey, n int64) {
	if *m == nil {
		*m = make(map[EntryKey]int64)
	}
	(*m)[k] += n
}

// SetNode names the node of the delta's exceptions that have none yet: a
// coordinator calls it with a worker's name on the worker's report, a
// single process with LocalNode.
func (d *Delta) SetNode(node string) {
	for _, e := range d.exceptions {
		if len(e.nodes) == 0 {
			e.nodes = append(e.nodes, node)
		}
	}
}

func exceptionStats(m map[string]*exceptionCount) []ExceptionStats {
	out := make([]ExceptionStats, 0, len(m))
	for tb, e := range m {
		out = append(out, ExceptionStats{ExceptionKey: ExceptionKey{Message: e.msg, Traceback: tb}, Count: e.count, Nodes: slices.Clone(e.nodes)})
	}
	slices.SortFunc(out, func(a, b ExceptionStats) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		if c := strings.Compare(a.Message, b.Message); c != 0 {
			return c
		}
		return strings.Compare(a.Traceback, b.Traceback)
	})
	return out
}

func skippedStats(m map[EntryKey]int64) []SkippedStats {
	out := make([]SkippedStats, 0, len(m))
	for k, n := range m {
		out = append(out, SkippedStats{EntryKey: k, Count: n})
	}
	slices.SortFunc(out, func(a, b SkippedStats) int { return compareKeys(a.EntryKey, b.EntryKey) })
	return out
}
