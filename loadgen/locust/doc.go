// Package locust holds what loadgen takes over from Locust so that a team
// switching keeps its habits: the format of Locust's config files and the
// wording of the log lines that scripts wait for. It imports only the
// standard library, so that every front end can use it.
package locust
