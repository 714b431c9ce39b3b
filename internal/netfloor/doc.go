// Package netfloor measures the least CPU that users who think between
// requests can cost on this machine: one thread drives every connection
// with non-blocking sockets and epoll, sends each connection's request when
// it is due and reads its response, and does nothing else: no runtime
// poller, no HTTP client, no statistics, no per-user state beyond a due
// time. What it costs per request is what the kernel charges for a send,
// a receive and the wake-ups between them, the floor under any load
// generator's figure for the same workload, so make bench can set
// loadgen's (and Locust's) CPU per request against it.
package netfloor
