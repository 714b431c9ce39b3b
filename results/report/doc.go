// Package report renders results.Snapshots: Locust's console tables, Locust
// 2.x's CSV files, a JSON document that keeps every histogram so that
// other tools can re-merge it, and a self-contained HTML report whose charts
// (WriteRunChart) the web UI shows too. Renderers are pure functions of a
// snapshot that write to an io.Writer; only WriteCSVFiles, CSVWriter
// (which keeps the CSV files current during a run) and WriteFileAtomic
// touch the file system.
package report
