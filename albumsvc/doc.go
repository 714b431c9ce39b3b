// Package albumsvc is the album HTTP service that load tests run against.
//
// It serves a small JSON API (list, get and create albums, plus a health
// check) over one of four interchangeable in-memory stores, so the cost of
// each locking strategy can be measured under load. With a data file it
// keeps an append-only journal and rebuilds the store from it at start;
// acknowledgements can wait for the disk (with group commit), for a
// periodic fsync, or for nothing at all.
//
// The package never parses flags, never exits the process and never writes
// to the standard streams: the caller passes a [Config] (including the
// logger) and owns the lifetime through [Service.Close], [Service.Serve] or
// the all-in-one [Start], which is the entry point for embedding the
// service in another program or test on a loopback port.
package albumsvc
