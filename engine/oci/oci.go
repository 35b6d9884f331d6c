// Package oci is berth's OCI runtime command surface (`berth oci create |
// start | state | kill | delete`, runc-compatible flags) over the same
// runtime the engine uses, so runtime test suites and other engines can
// drive it with plain bundles.
//
// It keeps its own state directory, separate from berth's store: bundles
// run this way are not berth containers. It must never touch the store.
package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/creack/pty"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/engine/cgroups"
	"berth/engine/monitor"
	"berth/engine/runtime"
	"berth/engine/store"
)

// DefaultStateDir is where container states live, as runc's /run/runc.
const DefaultStateDir = "/run/berth-oci"

// record is <state dir>/<id>/state.json.
type record struct {
	ID          string
	Bundle      string
	Pid         int
	PidStart    uint64
	Started     bool
	Created     time.Time
	CgroupPaths map[string]string
	Annotations map[string]string
}

var idRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

func dir(stateDir, id string) (string, error) {
	if !idRe.MatchString(id) {
		return "", fmt.Errorf("invalid container id %q", id)
	}
	return filepath.Join(stateDir, id), nil
}

func load(stateDir, id string) (string, record, error) {
	d, err := dir(stateDir, id)
	if err != nil {
		return "", record{}, err
	}
	b, err := os.ReadFile(filepath.Join(d, "state.json"))
	if errors.Is(err, os.ErrNotExist) {
		return d, record{}, fmt.Errorf("container %q does not exist", id)
	}
	if err != nil {
		return d, record{}, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return d, r, fmt.Errorf("container %q: %w", id, err)
	}
	return d, r, nil
}

func save(d string, r record) error {
	b, _ := json.Marshal(r)
	return store.WriteFileAtomic(filepath.Join(d, "state.json"), b, 0o600)
}

// CreateOptions are runc create's flags.
type CreateOptions struct {
	StateDir, ID, Bundle, PidFile, ConsoleSocket string
}

// Create sets the container up and leaves its init waiting for Start.
func Create(o CreateOptions) error {
	d, err := dir(o.StateDir, o.ID)
	if err != nil {
		return err
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return fmt.Errorf("bundle %s: %w", bundle, err)
	}
	var spec specs.Spec
	if err := json.Unmarshal(b, &spec); err != nil {
		return fmt.Errorf("bundle %s: config.json: %w", bundle, err)
	}
	if spec.Root == nil || spec.Process == nil {
		return fmt.Errorf("bundle %s: config.json needs root and process", bundle)
	}
	rootfs := spec.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return err
	}
	if err := os.Mkdir(d, 0o700); err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("container %q already exists", o.ID)
		}
		return err
	}
	fail := func(err error) error {
		os.RemoveAll(d)
		return err
	}
	if spec.Linux != nil && len(spec.Linux.UIDMappings) > 0 {
		// The init runs as the namespace's root, an unprivileged host
		// uid: it must own the directory its socket goes in.
		if err := os.Chown(d, hostID(spec.Linux.UIDMappings), hostID(spec.Linux.GIDMappings)); err != nil {
			return fail(err)
		}
	}
	layout, err := cgroups.Detect()
	if err != nil {
		return fail(err)
	}
	name := "berth-oci/" + o.ID
	if spec.Linux != nil && spec.Linux.CgroupsPath != "" {
		name = spec.Linux.CgroupsPath
	}
	cg, err := cgroups.New(layout, name)
	if err != nil {
		return fail(err)
	}
	if err := cg.Create(resources(spec.Linux)); err != nil {
		cg.Delete()
		return fail(err)
	}
	stdio := runtime.Stdio{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if spec.Process.Terminal {
		if o.ConsoleSocket == "" {
			cg.Delete()
			return fail(fmt.Errorf("process.terminal is set: --console-socket is required"))
		}
		m, s, err := pty.Open()
		if err != nil {
			cg.Delete()
			return fail(err)
		}
		defer s.Close()
		if err := sendConsole(o.ConsoleSocket, m); err != nil {
			m.Close()
			cg.Delete()
			return fail(err)
		}
		m.Close()
		stdio = runtime.Stdio{Stdin: s, Stdout: s, Stderr: s}
	}
	cfg := &runtime.Config{Spec: &spec, Rootfs: rootfs, ExecSocket: filepath.Join(d, "init.sock"), WaitStart: true, Detached: true}
	c, err := runtime.Start(cfg, stdio, cg)
	if err != nil {
		cg.Delete()
		return fail(err)
	}
	start, _ := monitor.StartTime(c.InitPid)
	r := record{ID: o.ID, Bundle: bundle, Pid: c.InitPid, PidStart: start, Created: time.Now().UTC(),
		CgroupPaths: cg.Paths(), Annotations: spec.Annotations}
	if err := save(d, r); err != nil {
		syscall.Kill(c.InitPid, syscall.SIGKILL)
		cg.Delete()
		return fail(err)
	}
	if o.PidFile != "" {
		if err := store.WriteFileAtomic(o.PidFile, []byte(fmt.Sprint(c.InitPid)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func resources(l *specs.Linux) cgroups.Resources {
	var r cgroups.Resources
	if l == nil || l.Resources == nil {
		return r
	}
	res := l.Resources
	if m := res.Memory; m != nil {
		if m.Limit != nil {
			r.Memory = *m.Limit
		}
		if m.Swap != nil {
			r.MemorySwap = *m.Swap
		}
	}
	if c := res.CPU; c != nil {
		if c.Quota != nil {
			r.CPUQuota = *c.Quota
		}
		if c.Period != nil {
			r.CPUPeriod = *c.Period
		}
		if c.Shares != nil {
			r.CPUShares = *c.Shares
		}
		r.CPUsetCPUs, r.CPUsetMems = c.Cpus, c.Mems
	}
	if p := res.Pids; p != nil && p.Limit != nil {
		r.PidsLimit = *p.Limit
	}
	if b := res.BlockIO; b != nil && b.Weight != nil {
		r.BlkioWeight = *b.Weight
	}
	return r
}

// sendConsole passes the PTY master to the caller's console socket, as
// runc's --console-socket protocol does.
func sendConsole(sock string, m *os.File) error {
	c, err := net.Dial("unix", sock)
	if err != nil {
		return fmt.Errorf("console socket: %w", err)
	}
	defer c.Close()
	_, _, err = c.(*net.UnixConn).WriteMsgUnix([]byte(m.Name()), unix.UnixRights(int(m.Fd())), nil)
	if err != nil {
		return fmt.Errorf("console socket: %w", err)
	}
	return nil
}

// Start runs the created container's process.
func Start(stateDir, id string) error {
	d, r, err := load(stateDir, id)
	if err != nil {
		return err
	}
	if r.Started {
		return fmt.Errorf("container %q is already started", id)
	}
	if _, err := runtime.StartCreated(filepath.Join(d, "init.sock")); err != nil {
		return err
	}
	r.Started = true
	return save(d, r)
}

// State is the runtime-spec state document.
func State(stateDir, id string) (*specs.State, error) {
	_, r, err := load(stateDir, id)
	if err != nil {
		return nil, err
	}
	st := &specs.State{Version: specs.Version, ID: r.ID, Bundle: r.Bundle, Pid: r.Pid, Annotations: r.Annotations}
	switch {
	case !monitor.Alive(r.Pid, r.PidStart):
		st.Status, st.Pid = specs.StateStopped, 0
	case r.Started:
		st.Status = specs.StateRunning
	default:
		st.Status = specs.StateCreated
	}
	return st, nil
}

// Kill signals the container's init, which forwards to its process.
func Kill(stateDir, id string, sig syscall.Signal) error {
	_, r, err := load(stateDir, id)
	if err != nil {
		return err
	}
	if !monitor.Alive(r.Pid, r.PidStart) {
		return fmt.Errorf("container %q is not running", id)
	}
	return syscall.Kill(r.Pid, sig)
}

// Delete removes a stopped container (a running one with force).
func Delete(stateDir, id string, force bool) error {
	d, r, err := load(stateDir, id)
	if err != nil {
		return err
	}
	if monitor.Alive(r.Pid, r.PidStart) {
		if !force {
			return fmt.Errorf("container %q is running: kill it first or use --force", id)
		}
		syscall.Kill(r.Pid, syscall.SIGKILL)
		for i := 0; i < 200 && monitor.Alive(r.Pid, r.PidStart); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if len(r.CgroupPaths) > 0 {
		if err := cgroups.Load(r.CgroupPaths).Delete(); err != nil {
			return err
		}
	}
	return os.RemoveAll(d)
}

// Wait blocks until the container's init is gone.
func Wait(stateDir, id string) error {
	_, r, err := load(stateDir, id)
	if err != nil {
		return err
	}
	for monitor.Alive(r.Pid, r.PidStart) {
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

// hostID is the host id that id 0 in the container maps to.
func hostID(maps []specs.LinuxIDMapping) int {
	for _, m := range maps {
		if m.ContainerID == 0 {
			return int(m.HostID)
		}
	}
	return 0
}
