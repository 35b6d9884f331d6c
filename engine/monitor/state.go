package monitor

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/store"
)

// Status values, as docker names them.
const (
	Created    = "created"
	Running    = "running"
	Paused     = "paused"
	Restarting = "restarting"
	Exited     = "exited"
	Dead       = "dead"
)

// State is containers/<id>/state.json.
type State struct {
	Status       string
	Pid          int    // the init, in the host's pid namespace
	PidStart     uint64 // its start time in clock ticks, to tell a reused pid
	MonitorPid   int
	ExitCode     int
	OOMKilled    bool
	Error        string
	StartedAt    time.Time
	FinishedAt   time.Time
	RestartCount int
	CgroupPaths  map[string]string `json:",omitempty"`
	Ports        []string          `json:",omitempty"` // published: 0.0.0.0:8080->80/tcp
	Health       *Health           `json:",omitempty"`
	// StopRequested marks a stop by the user, which the restart policy
	// must not undo.
	StopRequested bool `json:",omitempty"`
}

// Health is the HEALTHCHECK outcome.
type Health struct {
	Status        string // starting, healthy, unhealthy
	FailingStreak int
	Log           []HealthResult
}

// HealthResult is one probe.
type HealthResult struct {
	Start, End time.Time
	ExitCode   int
	Output     string
}

const stateFile = "state.json"

// ReadState reads a container's state. A state that says running while
// its init is gone (the monitor was killed, the machine rebooted) is
// reported as exited: a container is never stuck "running".
func ReadState(dir string) (State, error) {
	var s State
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return State{Status: Created}, nil
	}
	if err != nil {
		return s, fmt.Errorf("read state: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", filepath.Join(dir, stateFile), err)
	}
	if (s.Status == Running || s.Status == Paused || s.Status == Restarting) && !Alive(s.Pid, s.PidStart) && !Alive(s.MonitorPid, 0) {
		s.Status, s.ExitCode, s.Error = Exited, 137, "container's monitor is gone"
		if s.FinishedAt.IsZero() {
			s.FinishedAt = time.Now()
		}
	}
	return s, nil
}

// WriteState replaces state.json atomically.
func WriteState(dir string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return store.ReplaceFile(filepath.Join(dir, stateFile), b, 0o600)
}

// Alive reports whether pid runs and, when start is given, is the same
// process that started at that tick.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	got, ok := StartTime(pid)
	if !ok {
		return false
	}
	return start == 0 || got == start
}

// StartTime reads field 22 of /proc/pid/stat.
func StartTime(pid int) (uint64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" {
		return 0, false
	}
	n, err := strconv.ParseUint(f[19], 10, 64)
	return n, err == nil
}

// UpdateState runs fn on the current state under the container's state
// lock (the monitor, health checks and CLI commands all write it) and saves
// the result.
func UpdateState(dir string, fn func(*State)) (State, error) {
	f, err := os.OpenFile(filepath.Join(dir, "state.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return State{}, fmt.Errorf("lock state: %w", err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return State{}, fmt.Errorf("lock state: %w", err)
	}
	var s State
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err == nil {
		json.Unmarshal(b, &s)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("read state: %w", err)
	}
	fn(&s)
	return s, WriteState(dir, s)
}
