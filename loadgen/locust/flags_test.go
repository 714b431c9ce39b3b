package locust

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/internal/locusttest"
)

// LocustOptions returns the long options of real Locust's command line,
// without dashes, as its own argument parser defines them.
func locustOptions(t *testing.T) map[string]bool {
	t.Helper()
	py := locusttest.Python(t, "locust")
	const script = `
import json
from locust.argument_parser import get_parser
print(json.dumps(sorted(o[2:] for a in get_parser()._actions for o in a.option_strings if o.startswith("--"))))
`
	out, err := exec.Command(py, "-c", script).Output()
	if err != nil {
		t.Fatalf("listing Locust's options: %v", err)
	}
	var names []string
	if err := json.Unmarshal(out, &names); err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	if !set["host"] || !set["master"] {
		t.Fatalf("Locust's options %v lack host or master", names)
	}
	return set
}

// TestRefusedAreLocustOptions holds the table to real Locust: every option
// refused is one of Locust's, with a way to do it in loadgen.
func TestRefusedAreLocustOptions(t *testing.T) {
	opts := locustOptions(t)
	for name, instead := range refused {
		if !opts[name] {
			t.Errorf("%q is refused but is not one of Locust's options", name)
		}
		if got, ok := Refused("--" + name); !ok || got != instead || len(instead) < 10 {
			t.Errorf("Refused(--%s) = %q, %v", name, got, ok)
		}
	}
	if _, ok := Refused("host"); ok {
		t.Error("host is refused")
	}
	if !strings.Contains(refused["master"], "coordinator") {
		t.Errorf("--master's way %q does not name the coordinator", refused["master"])
	}
}

// TestEnvVarAsLocust: EnvVar names the variable real Locust reads each
// of its options from.
func TestEnvVarAsLocust(t *testing.T) {
	py := locusttest.Python(t, "locust")
	const script = `
import json
from locust.argument_parser import get_parser
print(json.dumps({[o for o in a.option_strings if o.startswith("--")][0][2:]: a.env_var for a in get_parser()._actions if getattr(a, "env_var", None)}))
`
	out, err := exec.Command(py, "-c", script).Output()
	if err != nil {
		t.Fatalf("listing Locust's variables: %v", err)
	}
	var vars map[string]string
	if err := json.Unmarshal(out, &vars); err != nil || len(vars) < 20 {
		t.Fatalf("Locust's variables %s: %v", out, err)
	}
	for opt, want := range vars {
		if got := EnvVar(opt); got != want {
			t.Errorf("EnvVar(%q) = %q, Locust reads %q", opt, got, want)
		}
	}
}
