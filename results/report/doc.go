// Package report renders results.Snapshots: Locust's console tables, Locust
// 2.x's CSV files, and a JSON document that keeps every histogram so that
// other tools can re-merge it. Renderers are pure functions of a snapshot
// that write to an io.Writer; only WriteCSVFiles touches the file system.
package report
