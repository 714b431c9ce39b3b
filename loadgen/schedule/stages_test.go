package schedule

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseStages(t *testing.T) {
	tests := []struct {
		in   string
		want []Stage
	}{
		{"30s:100,60s:1000,30s:0", []Stage{{30 * s, 100}, {60 * s, 1000}, {30 * s, 0}}},
		{" 1m30s : 2.5 , 0s:10 ", []Stage{{90 * s, 2.5}, {0, 10}}},
		{"30:100", []Stage{{30 * s, 100}}},
		{"0.5:1e3", []Stage{{500 * ms, 1000}}},
		{"500ms:0", []Stage{{500 * ms, 0}}},
		{"1h:0.001", []Stage{{time.Hour, 0.001}}},
	}
	for _, tt := range tests {
		got, err := ParseStages(tt.in)
		if err != nil {
			t.Errorf("ParseStages(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseStages(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseStagesErrors(t *testing.T) {
	tests := []struct {
		in   string
		want []string // substrings of the error
	}{
		{"", []string{"no stages", "30s:100"}},
		{"30s:100,,10s:5", []string{"stage 2", "empty"}},
		{"30s:100,", []string{"stage 2", "empty"}},
		{"30s", []string{`stage 1 "30s"`, "no colon"}},
		{"30s:100,60x:5", []string{`stage 2 "60x:5"`, `duration "60x"`}},
		{"-5s:10", []string{`stage 1`, "negative"}},
		{"-5:10", []string{`stage 1`, "negative"}},
		{":10", []string{`stage 1`, `duration ""`, "empty"}},
		{"5s:", []string{`stage 1`, "no rate"}},
		{"5s:abc", []string{`rate "abc"`, "not a number"}},
		{"5s:-1", []string{`rate "-1"`, "negative"}},
		{"5s:inf", []string{`rate "inf"`, "finite"}},
		{"5s:NaN", []string{`rate "NaN"`, "finite"}},
		{"5s:2e9", []string{`rate "2e9"`, "above"}},
		{"inf:10", []string{`duration "inf"`}},
		{"1e300:10", []string{`duration "1e300"`}},
		{"99999999999999999:1", []string{`duration "99999999999999999"`, "too long"}},
		{"1000000h:1,1000000h:1,1000000h:1", []string{"stage 3", "add up"}},
		{"5s:1:2", []string{`rate "1:2"`}},
	}
	for _, tt := range tests {
		_, err := ParseStages(tt.in)
		if err == nil {
			t.Errorf("ParseStages(%q): no error", tt.in)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("ParseStages(%q) = %q, want it to mention %q", tt.in, err, w)
			}
		}
	}
}

// FuzzParseStages checks that the parser never panics, that whatever it
// accepts is a usable stage list, and that FormatStages writes it back in
// a form that parses to the same stages.
func FuzzParseStages(f *testing.F) {
	for _, seed := range []string{"30s:100,60s:1000,30s:0", "0:0", " 1m : 2.5 ", "1h:1e9", "5s:", "-1:1", "1.5:0.25,2:3", "9223372036s:1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		stages, err := ParseStages(in)
		if err != nil {
			if stages != nil {
				t.Fatalf("error %v with stages %+v", err, stages)
			}
			return
		}
		if len(stages) == 0 {
			t.Fatalf("%q: no stages and no error", in)
		}
		var total time.Duration
		for i, st := range stages {
			if st.Duration < 0 || st.Target < 0 || st.Target > MaxRate || math.IsNaN(st.Target) {
				t.Fatalf("%q: stage %d is %+v", in, i, st)
			}
			if total > math.MaxInt64-st.Duration {
				t.Fatalf("%q: durations overflow", in)
			}
			total += st.Duration
		}
		out := FormatStages(stages)
		back, err := ParseStages(out)
		if err != nil {
			t.Fatalf("%q formats as %q, which fails: %v", in, out, err)
		}
		if !reflect.DeepEqual(back, stages) {
			t.Fatalf("%q: %+v formats as %q, which reads %+v", in, stages, out, back)
		}
	})
}
