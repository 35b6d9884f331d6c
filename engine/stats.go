package engine

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"berth/engine/cgroups"
	"berth/engine/network"
)

// Sample is one reading of a running container's counters, for graphs:
// its cgroup's, and its own network interfaces' (zero when it shares the
// host's or another container's namespace). One record read for both.
type Sample struct {
	*cgroups.Stats
	ID, Name         string
	RxBytes, TxBytes uint64
}

// Sample reads a running container's counters.
func (e *Engine) Sample(ctx context.Context, ref string) (Sample, error) {
	ci, err := e.Container(ref)
	if err != nil {
		return Sample{}, err
	}
	if !running(ci.State) || len(ci.State.CgroupPaths) == 0 {
		return Sample{}, fmt.Errorf("container %s is not running", ci.Record.Name)
	}
	st, err := cgroups.Load(ci.State.CgroupPaths).Stats()
	if err != nil {
		return Sample{}, err
	}
	s := Sample{Stats: st, ID: ci.Record.ID, Name: ci.Record.Name}
	if kind, _ := netMode(ci.Record.Host.NetworkMode); kind != "host" && kind != "container" && ci.State.Pid > 0 {
		s.RxBytes, s.TxBytes, _, _, _ = network.Stats(ci.State.Pid)
	}
	return s, nil
}

// Process is one row of `berth top`.
type Process struct {
	PID, PPID int
	UID       int
	Cmd       string
}

// Top lists the container's processes (host pids), init included.
func (e *Engine) Top(ctx context.Context, ref string) ([]Process, error) {
	ci, err := e.Container(ref)
	if err != nil {
		return nil, err
	}
	if !running(ci.State) || len(ci.State.CgroupPaths) == 0 {
		return nil, fmt.Errorf("container %s is not running", ci.Record.Name)
	}
	pids, err := cgroups.Load(ci.State.CgroupPaths).Procs()
	if err != nil {
		return nil, fmt.Errorf("top %s: %w", ci.Record.Name, err)
	}
	var out []Process
	for _, pid := range pids {
		p := Process{PID: pid}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			continue // exited meanwhile
		}
		p.Cmd = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		if status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status"); err == nil {
			for _, line := range strings.Split(string(status), "\n") {
				f := strings.Fields(line)
				if len(f) >= 2 && f[0] == "PPid:" {
					p.PPID, _ = strconv.Atoi(f[1])
				}
				if len(f) >= 2 && f[0] == "Uid:" {
					p.UID, _ = strconv.Atoi(f[1])
				}
			}
		}
		out = append(out, p)
	}
	return out, nil
}
