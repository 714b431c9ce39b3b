package deploy_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"testing"
)

// dfInstruction is one Dockerfile instruction, continuation lines joined.
type dfInstruction struct {
	line int    // where it starts
	cmd  string // in capitals
	args string
}

// dfStage is a build stage: its FROM and what follows it.
type dfStage struct {
	line     int
	image    string
	name     string // after AS, if any
	platform string
	instrs   []dfInstruction
}

// parseDockerfile splits a Dockerfile into stages. It knows only what
// these files use: comments, continuation lines and the FROM syntax.
func parseDockerfile(text string) ([]dfStage, error) {
	var instrs []dfInstruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue // Docker drops comment lines, inside continuations too
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		more := strings.HasSuffix(trimmed, "\\")
		cur.WriteString(strings.TrimSpace(strings.TrimSuffix(trimmed, "\\")))
		cur.WriteByte(' ')
		if more {
			continue
		}
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		instrs = append(instrs, dfInstruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if cur.Len() > 0 {
		return nil, fmt.Errorf("line %d: the file ends inside a continuation", start)
	}
	var stages []dfStage
	for _, in := range instrs {
		if in.cmd != "FROM" {
			if len(stages) == 0 {
				if in.cmd == "ARG" {
					continue // allowed before the first FROM
				}
				return nil, fmt.Errorf("line %d: %s before the first FROM", in.line, in.cmd)
			}
			stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
			continue
		}
		st := dfStage{line: in.line}
		words := strings.Fields(in.args)
		for len(words) > 0 && strings.HasPrefix(words[0], "--") {
			if p, ok := strings.CutPrefix(words[0], "--platform="); ok {
				st.platform = p
			}
			words = words[1:]
		}
		switch {
		case len(words) == 1:
		case len(words) == 3 && strings.EqualFold(words[1], "AS"):
			st.name = words[2]
		default:
			return nil, fmt.Errorf("line %d: FROM %s: want FROM [--platform=P] IMAGE [AS NAME]", in.line, in.args)
		}
		st.image = words[0]
		stages = append(stages, st)
	}
	if len(stages) == 0 {
		return nil, errors.New("no FROM")
	}
	return stages, nil
}

// dfCopy is a COPY instruction's flags, sources and destination.
type dfCopy struct {
	from, chown string
	srcs        []string
	dest        string
}

func parseCopy(args string) (dfCopy, error) {
	var c dfCopy
	words := strings.Fields(args)
	for len(words) > 0 && strings.HasPrefix(words[0], "--") {
		k, v, _ := strings.Cut(words[0][2:], "=")
		switch k {
		case "from":
			c.from = v
		case "chown":
			c.chown = v
		}
		words = words[1:]
	}
	if len(words) > 0 && strings.HasPrefix(words[0], "[") {
		if err := json.Unmarshal([]byte(strings.Join(words, " ")), &words); err != nil {
			return c, fmt.Errorf("COPY %s: %w", args, err)
		}
	}
	if len(words) < 2 {
		return c, fmt.Errorf("COPY %s: want sources and a destination", args)
	}
	c.srcs, c.dest = words[:len(words)-1], words[len(words)-1]
	return c, nil
}

// installed returns the paths a COPY creates in the image.
func (c dfCopy) installed() []string {
	if len(c.srcs) == 1 && !strings.HasSuffix(c.dest, "/") {
		return []string{c.dest}
	}
	var paths []string
	for _, s := range c.srcs {
		paths = append(paths, path.Join(c.dest, path.Base(s)))
	}
	return paths
}

// interpolate expands variables as Compose does: $$, $VAR, ${VAR},
// ${VAR:-default}, ${VAR-default}, ${VAR:?error} and ${VAR?error}, where
// the colon forms treat an empty variable as unset.
func interpolate(s string, vars map[string]string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("%q: a lone $ at the end", s)
		}
		switch next := s[i+1]; {
		case next == '$':
			b.WriteByte('$')
			i++
		case next == '{':
			end, depth := -1, 0
			for j := i + 1; j < len(s) && end < 0; j++ {
				switch s[j] {
				case '{':
					depth++
				case '}':
					if depth--; depth == 0 {
						end = j
					}
				}
			}
			if end < 0 {
				return "", fmt.Errorf("%q: unclosed ${", s)
			}
			v, err := expand(s[i+2:end], vars)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			i = end
		case next == '_' || 'A' <= next && next <= 'Z' || 'a' <= next && next <= 'z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || 'A' <= s[j] && s[j] <= 'Z' || 'a' <= s[j] && s[j] <= 'z' || '0' <= s[j] && s[j] <= '9') {
				j++
			}
			b.WriteString(vars[s[i+1:j]])
			i = j - 1
		default:
			return "", fmt.Errorf("%q: invalid $ at %d (write $$ for a literal $)", s, i)
		}
	}
	return b.String(), nil
}

var braced = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])(.*))?$`)

func expand(expr string, vars map[string]string) (string, error) {
	m := braced.FindStringSubmatch(expr)
	if m == nil {
		return "", fmt.Errorf("${%s}: not a variable reference Compose understands", expr)
	}
	v, set := vars[m[1]]
	unset := !set || (strings.HasPrefix(m[2], ":") && v == "")
	switch strings.TrimPrefix(m[2], ":") {
	case "-":
		if unset {
			return interpolate(m[3], vars)
		}
	case "?":
		if unset {
			return "", fmt.Errorf("required variable %s is missing a value: %s", m[1], m[3])
		}
	}
	return v, nil
}

// shellWords splits a command line as a POSIX shell would for the simple
// commands of a README: quotes and backslashes, $(...) kept in one word,
// and the operators ; & && | || as words of their own. A # starting a
// word begins a comment.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, single, double, depth := false, false, false, 0
	flush := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case single:
			if c == '\'' {
				single = false
			} else {
				cur.WriteByte(c)
			}
		case double:
			switch {
			case c == '\\' && i+1 < len(line):
				i++
				cur.WriteByte(line[i])
			case c == '"' && depth == 0:
				double = false
			default:
				depth = parens(line, i, depth)
				cur.WriteByte(c)
			}
		case depth > 0:
			depth = parens(line, i, depth)
			cur.WriteByte(c)
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		case c == '$' && i+1 < len(line) && line[i+1] == '(':
			cur.WriteString("$(")
			i++
			depth++
			inWord = true
		case c == '\'':
			single, inWord = true, true
		case c == '"':
			double, inWord = true, true
		case c == ' ' || c == '\t':
			flush()
		case c == '#' && !inWord:
			flush()
			return words, nil
		case c == ';' || c == '&' || c == '|':
			flush()
			op := string(c)
			if c != ';' && i+1 < len(line) && line[i+1] == c {
				op += string(c)
				i++
			}
			words = append(words, op)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if single || double || depth > 0 {
		return nil, fmt.Errorf("unclosed quote or $( in %q", line)
	}
	flush()
	return words, nil
}

// parens tracks the nesting of $( ... ) at line[i]: inside one, every
// parenthesis counts.
func parens(line string, i, depth int) int {
	switch line[i] {
	case '(':
		if depth > 0 || i > 0 && line[i-1] == '$' {
			return depth + 1
		}
	case ')':
		if depth > 0 {
			return depth - 1
		}
	}
	return depth
}

var envAssignment = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=`)

// readmeInvocations finds the loadgen and albumsvc commands of a Markdown
// file: in fenced code blocks (continuation lines joined, heredocs
// skipped) and in inline code that starts with a program name.
func readmeInvocations(file, text string) ([]invocation, error) {
	var invs []invocation
	add := func(line int, cmdline string) error {
		words, err := shellWords(cmdline)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", file, line, err)
		}
		for len(words) > 0 {
			n := len(words)
			for i, w := range words {
				if w == ";" || w == "&" || w == "&&" || w == "|" || w == "||" {
					n = i
					break
				}
			}
			cmd := words[:n]
			if n < len(words) {
				words = words[n+1:]
			} else {
				words = nil
			}
			var env []string
			for len(cmd) > 0 && envAssignment.MatchString(cmd[0]) {
				env = append(env, envAssignment.FindStringSubmatch(cmd[0])[1])
				cmd = cmd[1:]
			}
			if len(cmd) == 0 {
				continue
			}
			if prog := path.Base(cmd[0]); prog == "loadgen" || prog == "albumsvc" {
				invs = append(invs, invocation{where: fmt.Sprintf("%s:%d", file, line), program: prog, args: cmd[1:], env: env})
			}
		}
		return nil
	}
	inline := regexp.MustCompile("`((?:[^`/ ]*/)?(?:loadgen|albumsvc) [^`]*)`")
	heredocStart := regexp.MustCompile(`<<-?['"]?([A-Za-z_]+)`)
	fenced, heredoc := false, ""
	var joined strings.Builder
	joinedStart := 0
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```"):
			fenced = !fenced
			continue
		case heredoc != "":
			if trimmed == heredoc {
				heredoc = ""
			}
			continue
		case !fenced:
			for _, m := range inline.FindAllStringSubmatch(line, -1) {
				if !strings.Contains(m[1], "[") { // "[run flags]" is prose
					if err := add(n, m[1]); err != nil {
						return nil, err
					}
				}
			}
			continue
		}
		if joined.Len() == 0 {
			joinedStart = n
		}
		if m := heredocStart.FindStringSubmatch(trimmed); m != nil {
			heredoc = m[1]
		}
		if strings.HasSuffix(trimmed, "\\") {
			joined.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		joined.WriteString(trimmed)
		if err := add(joinedStart, joined.String()); err != nil {
			return nil, err
		}
		joined.Reset()
	}
	return invs, nil
}

func TestInterpolate(t *testing.T) {
	vars := map[string]string{"SET": "v", "EMPTY": ""}
	tests := []struct {
		in, want string
		fails    bool
	}{
		{in: "plain", want: "plain"},
		{in: "$$x", want: "$x"},
		{in: "a${SET}b$SET", want: "avbv"},
		{in: "${UNSET:-4}", want: "4"},
		{in: "${EMPTY:-4}", want: "4"},
		{in: "${EMPTY-4}", want: ""},
		{in: "${SET:-4}", want: "v"},
		{in: "${UNSET:-${SET}}", want: "v"},
		{in: "${SET:?needed}", want: "v"},
		{in: "${UNSET:?needed}", fails: true},
		{in: "${EMPTY:?needed}", fails: true},
		{in: "${EMPTY?needed}", want: ""},
		{in: "${UNSET", fails: true},
		{in: "cost $5", fails: true},
	}
	for _, tt := range tests {
		got, err := interpolate(tt.in, vars)
		if (err != nil) != tt.fails || got != tt.want {
			t.Errorf("interpolate(%q) = %q, %v; want %q, fails %v", tt.in, got, err, tt.want, tt.fails)
		}
	}
}

func TestShellWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`a b  c`, []string{"a", "b", "c"}},
		{`T="$(cat f)" loadgen worker`, []string{"T=$(cat f)", "loadgen", "worker"}},
		{`T=$(openssl rand -hex 32) x`, []string{"T=$(openssl rand -hex 32)", "x"}},
		{`a 'b c' "d e" f\ g`, []string{"a", "b c", "d e", "f g"}},
		{`make && loadgen -u 5 # comment`, []string{"make", "&&", "loadgen", "-u", "5"}},
		{`a;b | c & d || e`, []string{"a", ";", "b", "|", "c", "&", "d", "||", "e"}},
		{`x "#not a comment" a#b`, []string{"x", "#not a comment", "a#b"}},
	}
	for _, tt := range tests {
		got, err := shellWords(tt.in)
		if err != nil || strings.Join(got, "\x00") != strings.Join(tt.want, "\x00") {
			t.Errorf("shellWords(%s) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := shellWords(`a "b`); err == nil {
		t.Error(`shellWords("a \"b") did not report the unclosed quote`)
	}
}

func TestReadmeInvocations(t *testing.T) {
	md := "Run `loadgen --workers 4 [run flags]` or `bin/loadgen worker --id a`.\n" +
		"```sh\n" +
		"make build && LOADGEN_TOKEN=\"$(cat t)\" ./bin/loadgen coordinator \\\n" +
		"  --listen 10.0.0.5:5557   # a comment\n" +
		"kubectl apply -f - <<'EOF'\n" +
		"loadgen --inside-heredoc\n" +
		"EOF\n" +
		"albumsvc --addr :8080\n" +
		"```\n"
	invs, err := readmeInvocations("R.md", md)
	if err != nil {
		t.Fatal(err)
	}
	want := []invocation{
		{where: "R.md:1", program: "loadgen", args: []string{"worker", "--id", "a"}},
		{where: "R.md:3", program: "loadgen", args: []string{"coordinator", "--listen", "10.0.0.5:5557"}, env: []string{"LOADGEN_TOKEN"}},
		{where: "R.md:8", program: "albumsvc", args: []string{"--addr", ":8080"}},
	}
	if fmt.Sprint(invs) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", invs, want)
	}
}

func TestParseDockerfile(t *testing.T) {
	stages, err := parseDockerfile(`ARG GO=1.26
FROM --platform=$BUILDPLATFORM golang:${GO} AS build
RUN go build \
    # a comment inside a continuation
    -o /out/ ./cmd/x
FROM scratch
COPY --from=build --chown=1:1 /out/x /out/y /
ENTRYPOINT ["/x"]
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 || stages[0].image != "golang:${GO}" || stages[0].name != "build" ||
		stages[0].platform != "$BUILDPLATFORM" || stages[1].image != "scratch" {
		t.Fatalf("stages %+v", stages)
	}
	if run := stages[0].instrs[0]; run.cmd != "RUN" || run.args != "go build -o /out/ ./cmd/x" || run.line != 3 {
		t.Errorf("RUN parsed as %+v", run)
	}
	c, err := parseCopy(stages[1].instrs[0].args)
	if err != nil {
		t.Fatal(err)
	}
	if c.from != "build" || c.chown != "1:1" || fmt.Sprint(c.installed()) != "[/x /y]" {
		t.Errorf("COPY parsed as %+v, installing %v", c, c.installed())
	}
	for _, bad := range []string{"RUN x\nFROM scratch", "FROM a b", "FROM scratch\nRUN a \\"} {
		if _, err := parseDockerfile(bad); err == nil {
			t.Errorf("parseDockerfile(%q) reported no error", bad)
		}
	}
}
