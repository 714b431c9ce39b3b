package control

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
)

// parseReportQuery reads and checks a report's query string.
func parseReportQuery(q url.Values) (ReportRequest, error) {
	for k, v := range q {
		switch k {
		case "v", "worker", "run", "seq", "final":
			if len(v) != 1 {
				return ReportRequest{}, fmt.Errorf("query parameter %q given %d times", k, len(v))
			}
		default:
			return ReportRequest{}, fmt.Errorf("unknown query parameter %q", truncate(k, 32))
		}
	}
	v, err := strconv.Atoi(q.Get("v"))
	if err != nil {
		return ReportRequest{}, fmt.Errorf("v %q is not a protocol version", truncate(q.Get("v"), 32))
	}
	if err := checkVersion(v); err != nil {
		return ReportRequest{}, err
	}
	m := ReportRequest{ID: q.Get("worker"), Run: q.Get("run")}
	if err := checkID(m.ID); err != nil {
		return ReportRequest{}, err
	}
	if m.Run == "" || len(m.Run) > maxIDLen {
		return ReportRequest{}, errors.New("run is empty or too long")
	}
	if m.Seq, err = strconv.ParseUint(q.Get("seq"), 10, 64); err != nil || m.Seq == 0 {
		return ReportRequest{}, fmt.Errorf("seq %q is not a positive number", truncate(q.Get("seq"), 32))
	}
	switch q.Get("final") {
	case "0":
	case "1":
		m.Final = true
	default:
		return ReportRequest{}, fmt.Errorf("final %q: want 0 or 1", truncate(q.Get("final"), 32))
	}
	return m, nil
}

// validate checks what a worker can check without parsing the profile.
func (s *RunSpec) validate() error {
	p := s.Profile
	switch {
	case p.Builtin == "" && p.YAML == "":
		return errors.New("spec.profile: neither builtin nor yaml is set")
	case p.Builtin != "" && p.YAML != "":
		return errors.New("spec.profile: both builtin and yaml are set")
	case s.Client == "":
		return errors.New("spec.client is empty")
	case s.Host == "":
		return errors.New("spec.host is empty")
	case s.Timeout < 0 || s.StopTimeout < 0:
		return errors.New("spec: negative timeout")
	}
	if s.Open != nil {
		return s.Open.validate()
	}
	return nil
}

func (m *RegisterRequest) validate() error {
	if err := checkVersion(m.V); err != nil {
		return err
	}
	if err := checkID(m.ID); err != nil {
		return err
	}
	switch {
	case len(m.Host) > maxTextLen || len(m.Version) > maxTextLen:
		return errors.New("host or version is too long")
	case m.Cores < 0 || m.Cores > maxCores:
		return fmt.Errorf("cores %d is out of range", m.Cores)
	case m.PID < 0:
		return fmt.Errorf("pid %d is negative", m.PID)
	}
	return nil
}

func (m *HeartbeatRequest) validate() error {
	if err := checkVersion(m.V); err != nil {
		return err
	}
	if err := checkID(m.ID); err != nil {
		return err
	}
	switch m.State {
	case StateReady, StateSpawning, StateRunning, StateStopping, StateStopped, StateFailed, StateQuit:
	default:
		return fmt.Errorf("unknown state %q", truncate(m.State, maxStateLen))
	}
	switch {
	case m.Users < 0 || m.Users > maxUsers:
		return fmt.Errorf("users %d is out of range", m.Users)
	case math.IsNaN(m.CPUPercent) || m.CPUPercent < 0 || m.CPUPercent > 100*maxCores:
		return fmt.Errorf("cpu_percent %g is out of range", m.CPUPercent)
	case len(m.Error) > maxTextLen:
		return errors.New("error is too long")
	}
	if m.Open != nil {
		return m.Open.validate()
	}
	return nil
}

func (m *Command) validate() error {
	if err := checkVersion(m.V); err != nil {
		return err
	}
	switch {
	case m.Seq == 0:
		return errors.New("command seq must be positive")
	case m.Run == "" || len(m.Run) > maxIDLen:
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
		}
		if m.Open != nil {
			if err := m.Open.validateSpawn(); err != nil {
				return err
			}
		}
		return m.Spec.validate()
	case CommandStop:
		if m.Open != nil && m.Open.At < 0 {
			return fmt.Errorf("stop at %v is negative", m.Open.At)
		}
		return nil
	case CommandQuit:
		return nil
	}
	return fmt.Errorf("unknown command kind %q", truncate(m.Kind, maxStateLen))
}

func checkVersion(v int) error {
	if v != ProtocolVersion {
		return fmt.Errorf("protocol version %d, this side speaks %d", v, ProtocolVersion)
	}
	return nil
}

// checkID accepts the characters of host names and process numbers, so
// an ID is safe in a query string, a log line and a table.
func checkID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("worker id must be 1 to %d characters", maxIDLen)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == ':'
		if !ok {
			return fmt.Errorf("worker id %q: only letters, digits and - _ . : are allowed", truncate(id, maxIDLen))
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
