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

// ContainerStats samples a running container's cgroup.
func (e *Engine) ContainerStats(ctx context.Context, ref string) (*cgroups.Stats, error) {
	ci, err := e.Container(ref)
	if err != nil {
		return nil, err
	}
	if !running(ci.State) || len(ci.State.CgroupPaths) == 0 {
		return nil, fmt.Errorf("container %s is not running", ci.Record.Name)
	}
	return cgroups.Load(ci.State.CgroupPaths).Stats()
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

// NetStats is a running container's network counters (rx/tx bytes and
// packets over all its interfaces but lo).
func (e *Engine) NetStats(ctx context.Context, ref string) (rxB, txB, rxP, txP uint64, err error) {
	ci, err := e.Container(ref)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if !running(ci.State) || ci.State.Pid == 0 {
		return 0, 0, 0, 0, fmt.Errorf("container %s is not running", ci.Record.Name)
	}
	return network.Stats(ci.State.Pid)
}
