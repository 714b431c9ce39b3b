package wire

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/loadgen"
)

// ParseReportQuery reads and checks a report's query string.
func ParseReportQuery(q url.Values) (ReportRequest, error) {
	for k, v := range q {
		switch k {
		case "v", "worker", "run", "seq", "final":
			if len(v) != 1 {
				return ReportRequest{}, fmt.Errorf("query parameter %q given %d times", k, len(v))
			}
		default:
			return ReportRequest{}, fmt.Errorf("unknown query parameter %q", Truncate(k, 32))
		}
	}
	v, err := strconv.Atoi(q.Get("v"))
	if err != nil {
		return ReportRequest{}, fmt.Errorf("v %q is not a protocol version", Truncate(q.Get("v"), 32))
	}
	if err := CheckVersion(v); err != nil {
		return ReportRequest{}, err
	}
	m := ReportRequest{ID: q.Get("worker"), Run: q.Get("run")}
	if err := CheckID(m.ID); err != nil {
		return ReportRequest{}, err
	}
	if m.Run == "" || len(m.Run) > MaxIDLen {
		return ReportRequest{}, errors.New("run is empty or too long")
	}
	if m.Seq, err = strconv.ParseUint(q.Get("seq"), 10, 64); err != nil || m.Seq == 0 {
		return ReportRequest{}, fmt.Errorf("seq %q is not a positive number", Truncate(q.Get("seq"), 32))
	}
	switch q.Get("final") {
	case "0":
	case "1":
		m.Final = true
	default:
		return ReportRequest{}, fmt.Errorf("final %q: want 0 or 1", Truncate(q.Get("final"), 32))
	}
	return m, nil
}

// checkSpec checks the shape of a spawn's spec: what makes it a spec at
// all. Whether the worker can run it (its profile, its target, its
// client) is the worker's to find out and report, with its reason.
func checkSpec(s *loadgen.Spec) error {
	if err := s.Profile.Check(); err != nil {
		return fmt.Errorf("spec.%w", err)
	}
	switch {
	case s.Client == "":
		return errors.New("spec.client is empty")
	case s.Host == "":
		return errors.New("spec.host is empty")
	case s.Timeout < 0 || s.StopTimeout < 0:
		return errors.New("spec: negative timeout")
	}
	if s.Open != nil {
		if err := s.Open.Check(); err != nil {
			return fmt.Errorf("spec.open: %w", wireNames(err))
		}
	}
	return nil
}

// wireNames renames the settings in a Spec's errors as its JSON form names
// them (max_inflight, not max-inflight): a worker's refusal is about what
// its coordinator sent.
func wireNames(err error) error {
	var errs []error
	for _, e := range loadgen.SpecErrors(err) {
		var se *loadgen.SpecError
		if errors.As(e, &se) {
			c := *se
			c.Setting = strings.ReplaceAll(c.Setting, "-", "_")
			e = &c
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// Validate checks a registration.
func (m *RegisterRequest) Validate() error {
	if err := CheckVersion(m.V); err != nil {
		return err
	}
	if err := CheckID(m.ID); err != nil {
		return err
	}
	switch {
	case len(m.Host) > MaxTextLen || len(m.Version) > MaxTextLen:
		return errors.New("host or version is too long")
	case m.Cores < 0 || m.Cores > maxCores:
		return fmt.Errorf("cores %d is out of range", m.Cores)
	case m.PID < 0:
		return fmt.Errorf("pid %d is negative", m.PID)
	}
	return nil
}

// Validate checks a heartbeat.
func (m *HeartbeatRequest) Validate() error {
	if err := CheckVersion(m.V); err != nil {
		return err
	}
	if err := CheckID(m.ID); err != nil {
		return err
	}
	if !m.State.Sendable() {
		return fmt.Errorf("unknown state %q", Truncate(string(m.State), maxNameLen))
	}
	switch {
	case m.Users < 0 || m.Users > maxUsers:
		return fmt.Errorf("users %d is out of range", m.Users)
	case math.IsNaN(m.CPUPercent) || m.CPUPercent < 0 || m.CPUPercent > 100*maxCores:
		return fmt.Errorf("cpu_percent %g is out of range", m.CPUPercent)
	case len(m.Error) > MaxTextLen:
		return errors.New("error is too long")
	}
	if m.Open != nil {
		return m.Open.Validate()
	}
	return nil
}

// Validate checks a command as a worker receives it.
func (m *Command) Validate() error {
	if err := CheckVersion(m.V); err != nil {
		return err
	}
	switch {
	case m.Seq == 0:
		return errors.New("command seq must be positive")
	case m.Run == "" || len(m.Run) > MaxIDLen:
		return errors.New("command run is empty or too long")
	}
	switch m.Kind {
	case CommandSpawn:
		switch {
		case m.Users < 0 || m.Users > maxUsers:
			return fmt.Errorf("spawn users %d is out of range", m.Users)
		case math.IsNaN(m.Rate) || m.Rate < 0 || m.Rate > maxSpawnHz:
			return fmt.Errorf("spawn rate %g is out of range", m.Rate)
		case m.FirstID < 0:
			return fmt.Errorf("spawn first_id %d is negative", m.FirstID)
		case m.Spec == nil:
			return errors.New("spawn command without a spec")
		case m.Spec.Open != nil && m.Open == nil:
			return errors.New("spawn command of an open-model run without its share")
		case m.Spec.Open == nil && m.Open != nil:
			return errors.New("open-model share in a spawn command of a run with users")
		case m.Place != nil && (m.Place.Workers < 1 || m.Place.Workers > maxUsers || m.Place.Index < 0 || m.Place.Index >= m.Place.Workers):
			return fmt.Errorf("spawn place %d of %d is out of range", m.Place.Index, m.Place.Workers)
		}
		if m.Open != nil {
			if err := m.Open.validateSpawn(); err != nil {
				return err
			}
		}
		return checkSpec(m.Spec)
	case CommandStop:
		if m.Open != nil && m.Open.At < 0 {
			return fmt.Errorf("stop at %v is negative", m.Open.At)
		}
		return nil
	case CommandQuit:
		return nil
	}
	return fmt.Errorf("unknown command kind %q", Truncate(string(m.Kind), maxNameLen))
}

// Validate checks a coordinator's answer to a registration.
func (m *RegisterResponse) Validate() error {
	if err := CheckVersion(m.V); err != nil {
		return err
	}
	switch {
	case m.HeartbeatMS <= 0 || m.HeartbeatMS > MaxHeartbeat.Milliseconds():
		return fmt.Errorf("heartbeat_ms %d is out of range", m.HeartbeatMS)
	case m.ReportMS <= 0 || m.ReportMS > MaxHeartbeat.Milliseconds():
		return fmt.Errorf("report_ms %d is out of range", m.ReportMS)
	case m.MissedHeartbeats <= 0 || m.MissedHeartbeats > MaxMissedHeartbeats:
		return fmt.Errorf("missed_heartbeats %d is out of range", m.MissedHeartbeats)
	}
	return nil
}

// CheckVersion refuses any protocol version but this one.
func CheckVersion(v int) error {
	if v != ProtocolVersion {
		return fmt.Errorf("protocol version %d, this side speaks %d", v, ProtocolVersion)
	}
	return nil
}

// CheckID accepts the characters of host names and process numbers, so
// an ID is safe in a query string, a log line and a table.
func CheckID(id string) error {
	if id == "" || len(id) > MaxIDLen {
		return fmt.Errorf("worker id must be 1 to %d characters", MaxIDLen)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == ':'
		if !ok {
			return fmt.Errorf("worker id %q: only letters, digits and - _ . : are allowed", Truncate(id, MaxIDLen))
		}
	}
	return nil
}

// Truncate shortens s to n bytes and an ellipsis, for messages that quote
// what a peer sent.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
