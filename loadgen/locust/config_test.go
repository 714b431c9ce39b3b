package locust

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/internal/locusttest"
)

// parsedByLocust reads a config file with the parser Locust reads its
// config files with (ConfigArgParse's default), as [key, value] pairs,
// where a value is a string or a list of strings; or the parser's error.
func parsedByLocust(t *testing.T, path string) (pairs [][2]any, errText string) {
	t.Helper()
	py := locusttest.Python(t, "configargparse")
	const script = `
import io, json, sys, configargparse
p = configargparse.DefaultConfigFileParser()
with open(sys.argv[1]) as f:
    try:
        items = p.parse(f)
    except Exception as e:
        print(json.dumps({"error": str(e)}))
        sys.exit(0)
print(json.dumps({"items": [[k, [str(x) for x in v] if isinstance(v, list) else v] for k, v in items.items()]}))
`
	out, err := exec.Command(py, "-c", script, path).Output()
	if err != nil {
		t.Fatalf("running Locust's config parser: %v", err)
	}
	var res struct {
		Items [][2]any `json:"items"`
		Error string   `json:"error"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("reading %s: %v", out, err)
	}
	return res.Items, res.Error
}

// asLocust folds settings as Locust's parser does (a repeated key keeps
// its first place and its last value) into the same pairs.
func asLocust(settings []Setting) [][2]any {
	var out [][2]any
	at := map[string]int{}
	for _, s := range settings {
		var v any = s.Value
		if s.IsList() {
			items := make([]any, len(s.List))
			for i, x := range s.List {
				items[i] = x
			}
			v = items
		}
		if i, ok := at[s.Key]; ok {
			out[i][1] = v
			continue
		}
		at[s.Key] = len(out)
		out = append(out, [2]any{s.Key, v})
	}
	return out
}

// TestParseConfigReadsAsLocust holds the parser to Locust's own, line for
// line, on files with every form it reads.
func TestParseConfigReadsAsLocust(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.conf")
	if len(files) == 0 {
		t.Fatal("no testdata/*.conf")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want, wantErr := parsedByLocust(t, path)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseConfig(path, data)
			if (err != nil) != (wantErr != "") {
				t.Fatalf("error %v; Locust's parser: %q", err, wantErr)
			}
			if err != nil {
				return
			}
			if g := asLocust(got); !reflect.DeepEqual(g, want) {
				t.Errorf("read\n %q\nLocust reads\n %q", g, want)
			}
		})
	}
}

// TestParseConfigRandomLinesAsLocust compares single lines made of the
// parser's tricky pieces (separators, quotes, comments, brackets) with
// what Locust's parser reads, an error included.
func TestParseConfigRandomLinesAsLocust(t *testing.T) {
	py := locusttest.Python(t, "configargparse")
	pieces := []string{"key", "--run-time", "a", " ", "  ", "\t", "=", ":", "#", ";", " #", " ;", "\"", "'", "[", "]", ",", "1", "x y", "http://h:1/p", "[a, b]", "[\"a\", 2]", "true"}
	rng := rand.New(rand.NewPCG(1, 2))
	lines := make([]string, 400)
	for i := range lines {
		var b strings.Builder
		for range 1 + rng.IntN(7) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		lines[i] = b.String()
	}
	const script = `
import io, json, sys, configargparse
out = []
for line in json.load(sys.stdin):
    s = io.StringIO(line); s.name = "x"
    try:
        items = configargparse.DefaultConfigFileParser().parse(s)
        out.append({"items": [[k, [str(x) for x in v] if isinstance(v, list) else v] for k, v in items.items()]})
    except Exception as e:
        out.append({"error": str(e)})
print(json.dumps(out))
`
	in, _ := json.Marshal(lines)
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running Locust's config parser: %v", err)
	}
	var want []struct {
		Items [][2]any `json:"items"`
		Error string   `json:"error"`
	}
	if err := json.Unmarshal(out, &want); err != nil || len(want) != len(lines) {
		t.Fatalf("reading %s: %v", out, err)
	}
	for i, line := range lines {
		got, err := ParseConfig("x", []byte(line))
		if (err != nil) != (want[i].Error != "") {
			t.Errorf("%q: error %v; Locust's parser: %q", line, err, want[i].Error)
			continue
		}
		if g := asLocust(got); err == nil && !reflect.DeepEqual(g, want[i].Items) && !(len(g) == 0 && len(want[i].Items) == 0) {
			t.Errorf("%q: read %q, Locust reads %q", line, g, want[i].Items)
		}
	}
}

func TestParseConfig(t *testing.T) {
	got, err := ParseConfig("locust.conf", []byte("# run\nhost = http://h\n\n--users 5\nheadless\ntags = [a, b]\nlogfile =\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Setting{
		{File: "locust.conf", Line: 2, Key: "host", Value: "http://h"},
		{File: "locust.conf", Line: 4, Key: "--users", Value: "5"},
		{File: "locust.conf", Line: 5, Key: "headless", Value: "true"},
		{File: "locust.conf", Line: 6, Key: "tags", Value: "[a, b]", List: []string{"a", "b"}},
		{File: "locust.conf", Line: 7, Key: "logfile", Value: ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if got[1].Name() != "users" || got[0].Name() != "host" {
		t.Errorf("names %q %q", got[1].Name(), got[0].Name())
	}
	if err := got[0].Errorf("unknown"); err.Error() != "locust.conf:2: host: unknown" {
		t.Errorf("setting error %q", err)
	}
}

func TestParseConfigErrorsNameFileAndLine(t *testing.T) {
	_, err := ParseConfig("conf/locust.conf", []byte("host = x\n\n= bad\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "conf/locust.conf:3: ") || !strings.Contains(err.Error(), `"= bad"`) {
		t.Fatalf("error %v, want one naming conf/locust.conf:3 and the line", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"host = x", "a b c", "tags = [a, \"b\"]", "k = 'v' # c", "=", "---", "k:", "k ="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		settings, err := ParseConfig("f", []byte(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f:") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for _, st := range settings {
			if st.Key == "" || strings.ContainsAny(st.Key, ":=;# \t") || st.Line < 1 {
				t.Errorf("setting %+v from %q", st, s)
			}
		}
	})
}
