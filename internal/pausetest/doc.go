// Package pausetest stops the calling process for a while, as a virtual
// machine's host or a frozen container would, for tests of what a load
// generator reports about its own pauses. It works on Linux only.
package pausetest
