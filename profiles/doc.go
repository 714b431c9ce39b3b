// Package profiles reads workload profiles: YAML files that say which
// requests simulated users send, in what mix, and how long they wait between
// them.
//
// A profile is decoded strictly. Unknown keys, wrong types and bad values are
// errors that name the file, the line and the field, such as
//
//	profiles/albums.yaml:12: tasks[1].weight: must be >= 0, got -3
//
// because a typo in a load test silently changes what is measured.
//
// Paths, header values and bodies are Go text/template templates. Compile
// parses them once, before any user starts, and TaskTemplate.Render fills
// them in on the hot path with a per-user RenderContext, so rendering shares
// no state between users and, for the common shapes of template, allocates
// nothing.
//
// The package also parses the command-line forms that describe a workload:
// ParseWait (--wait), ParseRunTime (--run-time) and ApplyRatio (--ratio).
package profiles
