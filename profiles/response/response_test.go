package response

import "testing"

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{
		"GET": true, "X-Request-Id": true, "sid": true, "a!#$%&'*+-.^_`|~z": true,
		"": false, "a b": false, "a:b": false, "é": false, "a\x00": false, "(x)": false,
	} {
		if got := IsToken(s); got != want {
			t.Errorf("IsToken(%q) = %v, want %v", s, got, want)
		}
	}
}
