package profiles

import "time"

// Profile is a validated workload: what the simulated users request, in
// which mix, and the run settings the profile asks for. A zero Users,
// SpawnRate or RunTime, or an empty Host, means the profile leaves that
// setting to the command line or its default.
type Profile struct {
	// Name identifies the profile in messages; it defaults to the file name
	// without its extension.
	Name string
	// Source is the file the profile came from, as used in error messages.
	Source string

	Host      string
	Users     int
	SpawnRate float64
	RunTime   time.Duration
	// Wait is the pause between task runs; the zero value means none.
	Wait Wait

	// Tasks is never empty, and at least one task has a positive weight.
	Tasks []Task
	// Thresholds are kept as written; they are parsed where they are
	// evaluated.
	Thresholds []Threshold
}

// Task is one kind of request. Path, header values and Body are template
// text; see Compile.
type Task struct {
	// Name groups the task's requests in statistics together with Method.
	// It defaults to Path, template text included, so a path such as
	// /albums/{{randInt 1 3}} still forms a single entry.
	Name string
	// Named is set when the profile gave Name rather than leaving it to
	// default to Path.
	Named bool
	// Weight is the task's share of task runs relative to the other tasks;
	// zero disables it.
	Weight int
	// Method is an upper-case HTTP method token; it defaults to GET.
	Method  string
	Path    string
	Headers []Header
	Body    string
	// Expect lists the statuses that count as success. When it is empty,
	// success is any status below 400, as in Locust.
	Expect []int

	// Line is where the task starts in Source.
	Line int

	pathPos, bodyPos textPos
}

// Header is one request header. Name is fixed; Value is template text.
// Headers keep the order in which the profile lists them.
type Header struct {
	Name  string
	Value string
	Line  int

	pos textPos
}

// Threshold is one expression from the profile's thresholds list, kept as
// text with its line so that whoever parses it can point at it.
type Threshold struct {
	Expr string
	Line int
}

// textPos locates template text in the profile file, so template errors,
// which count lines from the start of the text, can name the file line.
type textPos struct {
	line int
	// lineExact is true when line k of the text is on file line line+k-1;
	// folded and multi-line quoted scalars do not keep that mapping.
	lineExact bool
}

// fileLine converts a 1-based line within template text to a file line.
func (p textPos) fileLine(textLine int) int {
	if !p.lineExact || textLine < 1 {
		return p.line
	}
	return p.line + textLine - 1
}

// Limits that keep a bad profile from exhausting memory.
const (
	// MaxWeight is the largest task weight; it keeps sums of weights far
	// from integer overflow.
	MaxWeight = 1_000_000
	// MaxFileSize is the largest profile file Load reads.
	MaxFileSize = 1 << 20
	// MaxRenderedSize is the largest rendered path, header value or body.
	MaxRenderedSize = 4 << 20
)
