package deploy_test

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/albumsvc"
	albumflags "github.com/loadgen/loadgen/albumsvc/flags"
	"github.com/loadgen/loadgen/loadgen/cli"
)

// invocation is a program as a deployment file starts it.
type invocation struct {
	where   string
	argv    []string          // the program's path first, then its arguments
	env     map[string]string // its environment; a secret's value is a stand-in
	parsed  *pflag.FlagSet    // after parse
	key     string            // "loadgen coordinator", "loadgen worker", "albumsvc"
	cmdline []string          // the flags given on the command line
}

// parse parses an invocation with the program's own flag set, the
// environment included, exactly as the program does at start (and, for a
// load test's command, builds and validates the test it describes). Every
// variable in the program's namespace (LOADGEN_*, ALBUMSVC_*) must name one
// of its flags: the programs ignore any other, so a misspelt one would be
// lost without a word.
func (inv *invocation) parse() error {
	if len(inv.argv) == 0 {
		return fmt.Errorf("%s: no program", inv.where)
	}
	getenv := func(name string) (string, bool) { v, ok := inv.env[name]; return v, ok }
	var prefix string
	switch inv.argv[0] {
	case "/loadgen":
		prefix = "LOADGEN"
		sub := ""
		args := inv.argv[1:]
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			sub, args = args[0], args[1:]
		}
		cmd, err := cli.NewCommand(sub)
		if err != nil {
			return fmt.Errorf("%s: %w", inv.where, err)
		}
		inv.key, inv.parsed = strings.TrimSpace("loadgen "+sub), cmd.Flags
		s, err := cmd.Parse(args, getenv)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", inv.where, strings.Join(inv.argv, " "), err)
		}
		for _, name := range flagNames(cmd.Flags) {
			if s.Origin(name).Kind == cli.FromCommandLine {
				inv.cmdline = append(inv.cmdline, name)
			}
		}
		if sub == "" || sub == "coordinator" {
			if _, err := cmd.Spec(s, "deploy-test", cli.Overrides{}); err != nil {
				return fmt.Errorf("%s: %s: %w", inv.where, strings.Join(inv.argv, " "), err)
			}
		}
	case "/albumsvc":
		prefix = albumflags.EnvPrefix
		var v albumflags.Values
		fs := albumflags.New(&v)
		inv.key, inv.parsed = "albumsvc", fs
		if err := fs.Parse(inv.argv[1:]); err != nil {
			return fmt.Errorf("%s: %s: %w", inv.where, strings.Join(inv.argv, " "), err)
		}
		fs.Visit(func(f *pflag.Flag) { inv.cmdline = append(inv.cmdline, f.Name) })
		var err error
		fs.VisitAll(func(f *pflag.Flag) {
			if val, ok := getenv(prefix + "_" + strings.ToUpper(f.Name)); ok && err == nil && !slices.Contains(inv.cmdline, f.Name) {
				err = fs.Set(f.Name, val)
			}
		})
		if _, perr := albumsvc.ParseStoreKind(v.Store); err == nil {
			err = perr
		}
		if _, perr := albumsvc.ParseFsyncPolicy(v.Fsync); err == nil {
			err = perr
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", inv.where, strings.Join(inv.argv, " "), err)
		}
	default:
		return fmt.Errorf("%s runs %q: want /loadgen or /albumsvc", inv.where, inv.argv[0])
	}
	var known []string
	for _, name := range flagNames(inv.parsed) {
		known = append(known, cli.EnvName(prefix, name))
	}
	for name := range inv.env {
		for _, p := range []string{"LOADGEN_", "ALBUMSVC_"} {
			if strings.HasPrefix(name, p) && !slices.Contains(known, name) {
				return fmt.Errorf("%s: %s is not a setting of %s, which reads %s_<FLAG> for its flags only", inv.where, name, inv.key, prefix)
			}
		}
	}
	return nil
}

func flagNames(fs *pflag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	return names
}

// value is the value a flag ends up with, from the command line, the
// environment or its default.
func (inv *invocation) value(t *testing.T, name string) string {
	t.Helper()
	f := inv.parsed.Lookup(name)
	if f == nil {
		t.Fatalf("%s: %s has no --%s", inv.where, inv.key, name)
	}
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

// listenPort returns the port of a listen address, which must not be
// loopback (out of the other containers' reach).
func listenPort(t *testing.T, inv *invocation, flag string) string {
	t.Helper()
	v := inv.value(t, flag)
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		t.Fatalf("%s: --%s %q: %v", inv.where, flag, v, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		t.Errorf("%s: --%s %q is loopback, out of the other containers' reach", inv.where, flag, v)
	}
	return port
}

// checkURL checks that --flag is an http URL of host:port.
func checkURL(t *testing.T, inv *invocation, flag, host, port string) {
	t.Helper()
	v := inv.value(t, flag)
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "http" || u.Hostname() != host || u.Port() != port {
		t.Errorf("%s: --%s %q: want http://%s:%s", inv.where, flag, v, host, port)
	}
}

// checkToken checks that a loadgen program gets its token from the
// environment only: on a command line it shows in ps and in the
// container's or pod's description.
func checkToken(t *testing.T, inv *invocation) {
	t.Helper()
	if slices.Contains(inv.cmdline, "token") {
		t.Errorf("%s: --token on the command line is visible in ps and the container's description; use LOADGEN_TOKEN", inv.where)
	}
	if strings.HasPrefix(inv.key, "loadgen ") && inv.value(t, "token") == "" {
		t.Errorf("%s: no token: the coordinator would refuse to listen off loopback", inv.where)
	}
}

// TestInvocationParse shows that parse holds the deployment files to the
// programs' own flag sets: each of these slips fails it.
func TestInvocationParse(t *testing.T) {
	token := map[string]string{"LOADGEN_TOKEN": "t"}
	good := []invocation{
		{argv: []string{"/loadgen", "worker", "--coordinator=http://c:5557"}, env: token},
		{argv: []string{"/loadgen", "coordinator", "--listen=0.0.0.0:5557", "--host=http://a:8080", "--run-time=1m"}, env: token},
		{argv: []string{"/albumsvc", "--addr=0.0.0.0:8080"}, env: map[string]string{"ALBUMSVC_STORE": "sharded"}},
	}
	for _, inv := range good {
		inv.where = "good"
		if err := inv.parse(); err != nil {
			t.Errorf("%v: %v", inv.argv, err)
		}
	}
	for _, inv := range []invocation{
		{argv: []string{"/loadgen", "worker", "--coordinater=http://c:5557"}},                          // unknown flag
		{argv: []string{"/loadgen", "worker", "--connect-timeout=soon"}},                               // bad value
		{argv: []string{"/loadgen", "coordinator", "--users", "fifty"}},                                // bad value
		{argv: []string{"/loadgen", "coordinator", "--run-time=forever"}},                              // caught when the test is built
		{argv: []string{"/loadgen", "worker", "--users=5"}},                                            // a flag of another subcommand
		{argv: []string{"/loadgen", "worker"}, env: map[string]string{"LOADGEN_TOKN": "t"}},            // unknown variable
		{argv: []string{"/loadgen", "worker"}, env: map[string]string{"LOADGEN_CONNECT_TIMEOUT": "x"}}, // bad variable value
		{argv: []string{"/loadgen", "worker"}, env: map[string]string{"ALBUMSVC_STORE": "sharded"}},    // the other program's
		{argv: []string{"/loadgen", "swarm"}},                                                          // unknown subcommand
		{argv: []string{"/albumsvc", "--store=lockfree"}},                                              // bad value
		{argv: []string{"/albumsvc", "--adress=:8080"}},                                                // unknown flag
		{argv: []string{"/albumsvc"}, env: map[string]string{"ALBUMSVC_SHARD": "4"}},                   // unknown variable
		{argv: []string{"/bin/sh", "-c", "loadgen"}},                                                   // not a program of the image
	} {
		inv.where = "bad"
		if err := inv.parse(); err == nil {
			t.Errorf("%v %v parsed without error", inv.env, inv.argv)
		}
	}
}
