package results

import "cmp"

// AggregatedName is the Name of the total entry, with an empty Method, as
// Locust names its total row.
const AggregatedName = "Aggregated"

// EntryKey identifies one stats entry: the HTTP method (Locust's "Type") and
// the task name.
type EntryKey struct {
	Method string
	Name   string
}

// compareKeys orders keys as Locust sorts its entries: by name, then method.
func compareKeys(a, b EntryKey) int {
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.Method, b.Method)
}
