// Package locust holds what loadgen takes over from Locust so that a team
// switching keeps its habits: Locust's config files (ParseConfig, and
// ApplyConfig onto a flag set), the options of Locust's that loadgen
// refuses with the loadgen way (Refused), and the wording of the log lines
// that scripts wait for. It knows nothing of runs, so that every front end
// can use it.
package locust
