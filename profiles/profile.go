package profiles

import (
	"time"

	"github.com/loadgen/loadgen/profiles/capture"
	"github.com/loadgen/loadgen/profiles/check"
	"github.com/loadgen/loadgen/profiles/dataset"
)

// Profile is a validated workload: the user classes that simulated users
// belong to, each with its journey (requests once at the start, weighted
// tasks, requests once at the end), and the run settings the profile asks
// for. A zero Users, SpawnRate or RunTime, or an empty Host, means the
// profile leaves that setting to the command line or its default.
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
	// Wait is the pause between task runs of the classes that set none;
	// the zero value means none.
	Wait Wait
	// Headers are sent with every request of every class; a class's or a
	// request's own header of the same name replaces one of these.
	Headers []Header
	// Classes is never empty. A profile written with a top-level tasks list
	// has one class, named after the profile, that holds them.
	Classes []Class
	// Stages, when set, move the number of users over time instead of
	// Users and SpawnRate.
	Stages []Stage
	// Settings are the profile's other run settings, and where each
	// top-level key is.
	Settings Settings
	// Thresholds are kept as written; they are parsed where they are
	// evaluated.
	Thresholds []Threshold
}

// Class is a kind of simulated user, as a Locust User class is: its share
// of the users, its wait, its data, and its journey.
type Class struct {
	// Name identifies the class in messages and user counts.
	Name string
	// Weight is the class's share of the users relative to the other
	// classes; zero leaves it out.
	Weight int
	// Wait is the class's pause between task runs when WaitSet; otherwise
	// the profile's Wait applies.
	Wait    Wait
	WaitSet bool
	// Headers are sent with every request of the class.
	Headers []Header
	// Data, when set, is a CSV file whose columns are variables of the
	// class's templates.
	Data *Data
	// OnStart runs once for each user, in order, before its first task;
	// OnStop once when it stops. Their requests are recorded like any.
	OnStart []Request
	// Tasks is never empty, and at least one task has a positive weight.
	Tasks  []Task
	OnStop []Request
	// Cookies is true when each user keeps the cookies responses set and
	// sends them back, as a browser does (the default).
	Cookies bool
	// FollowRedirects is true when a 3xx response with a Location is
	// followed, up to 10 times, as part of the same request (the default).
	FollowRedirects bool

	// Line is where the class starts in the profile file; Field is its
	// path in error messages ("classes[1]", or "" for the class made from
	// a top-level tasks list).
	Line  int
	Field string
}

// Task is one weighted action of a class: a single request, or steps made
// in order, as a Locust SequentialTaskSet makes them.
type Task struct {
	// Name labels the task in messages; for a task of one request it is
	// also that request's statistics name.
	Name string
	// Weight is the task's share of its class's task runs; zero disables
	// it.
	Weight int
	// Tags select tasks with --tags and --exclude-tags.
	Tags []string
	// Steps are the task's requests, in order; a task written as one
	// request has one step. Each step is its own statistics row.
	Steps []Request
	// Sequence is true when the task was written with steps.
	Sequence bool

	Line  int
	Field string
}

// Request is one HTTP request of a journey. Path, header values, Body and
// the strings of a JSON body are template text; see Compile.
type Request struct {
	// Name groups the request's statistics together with Method. It
	// defaults to Path, template text included, so a path such as
	// /albums/{{randInt 1 3}} still forms a single entry.
	Name string
	// Named is set when the profile gave Name rather than leaving it to
	// default to Path.
	Named bool
	// Method is an upper-case HTTP method token; it defaults to GET.
	Method  string
	Path    string
	Headers []Header
	// Body is sent as written; JSON, when set instead, is a body written
	// as YAML and sent as JSON with Content-Type application/json.
	Body string
	JSON *JSONValue
	// Captures take values out of the response into variables.
	Captures []Capture
	// Pick chooses among several matches of a capture.
	Pick capture.Pick
	// Check decides whether the response is a success. Its zero value
	// accepts any status below 400, as Locust does.
	Check check.Check

	// Line is where the request starts in Source; Field is its path in
	// error messages, such as "classes[0].tasks[1].steps[2]".
	Line  int
	Field string

	pathPos, bodyPos textPos
}

// Capture stores a value from a response in the variable Var, for the rest
// of the user's life.
type Capture struct {
	Var  string
	Expr *capture.Expr
	Line int
}

// Data is a class's data file.
type Data struct {
	// File is the path as the profile writes it; Path is where it is read
	// from: relative to the profile file's directory unless absolute.
	File string
	Path string
	Mode dataset.Mode
	// Recycle lets per-user rows be shared once every row is taken.
	Recycle bool
	Line    int
	// Table holds the rows once loaded (see LoadData), or once a
	// coordinator has sent them.
	Table *dataset.Table
}

// Stage moves the number of users linearly to Users over Duration, as a
// stage of --stages does.
type Stage struct {
	Duration time.Duration
	Users    int
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
	// MaxClassWeight and MaxClasses bound the mix of user classes, whose
	// spread over users is worked out one whole period at a time.
	MaxClassWeight = 10_000
	MaxClasses     = 100
	// MaxFileSize is the largest profile file Load reads.
	MaxFileSize = 1 << 20
	// MaxRenderedSize is the largest rendered path, header value or body.
	MaxRenderedSize = 4 << 20
)

// AllRequests calls fn for every request of the class, in journey order:
// on_start, the steps of each task, on_stop.
func (c *Class) AllRequests(fn func(r *Request)) {
	for i := range c.OnStart {
		fn(&c.OnStart[i])
	}
	for i := range c.Tasks {
		for j := range c.Tasks[i].Steps {
			fn(&c.Tasks[i].Steps[j])
		}
	}
	for i := range c.OnStop {
		fn(&c.OnStop[i])
	}
}
