package cli

import (
	"strings"

	"github.com/spf13/pflag"
)

// checkFlagValues refuses a text flag whose value, given as the next
// argument, looks like a flag: in `--json --only-summary` pflag takes
// "--only-summary" as the file's name, and the flag meant is lost. A
// value written with "=" (--json=--only-summary) is taken as written, and
// so are "-" (stdout) and negative numbers.
func checkFlagValues(fs *pflag.FlagSet, args []string) error {
	for i := 0; i < len(args)-1; i++ {
		a := args[i]
		var f *pflag.Flag
		switch {
		case a == "--":
			return nil
		case strings.HasPrefix(a, "--"):
			if strings.Contains(a, "=") {
				continue
			}
			f = fs.Lookup(a[2:])
		case len(a) == 2 && a[0] == '-':
			f = fs.ShorthandLookup(a[1:])
		}
		if f == nil || f.NoOptDefVal != "" {
			continue
		}
		switch f.Value.Type() {
		case "string", "stringArray", "stringSlice":
		default:
			continue
		}
		v := args[i+1]
		if looksLikeFlag(v) {
			return Usagef("%s %q: the value looks like a flag, so %s has lost its value; give it one (or write %s=%s if the value really starts with -)", a, v, a, a, v)
		}
		i++ // the value
	}
	return nil
}

// looksLikeFlag reports whether a value starts as a flag does: a dash and
// a letter, or two dashes.
func looksLikeFlag(v string) bool {
	if len(v) < 2 || v[0] != '-' {
		return false
	}
	c := v[1]
	return c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
