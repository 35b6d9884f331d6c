package runtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/engine/cgroups"
	"berth/internal/unixsock"
)

// Stdio is what the container's main process gets as fds 0-2: a PTY slave
// three times, or pipes/files.
type Stdio struct {
	Stdin, Stdout, Stderr *os.File
}

// Container is a started container's init, seen from the parent.
type Container struct {
	InitPid int
	done    chan struct{}
	code    int
	proc    *os.Process
}

// StartError carries the exit code a failed start should produce.
type StartError struct {
	Code int
	Err  error
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

var nsFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace: unix.CLONE_NEWPID, specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.IPCNamespace: unix.CLONE_NEWIPC, specs.UTSNamespace: unix.CLONE_NEWUTS,
	specs.MountNamespace: unix.CLONE_NEWNS, specs.UserNamespace: unix.CLONE_NEWUSER,
	// The cgroup namespace is made by the init itself, after the parent
	// has put it in its cgroup, so the container sees that cgroup as "/".
}

// helperEnv is the whole environment of berth's own helper processes
// (init, __exec). TERM=dumb keeps the TUI library's package init from
// querying the container's terminal for its colors, which would print an
// escape sequence into the container's PTY and wait seconds for an answer.
var helperEnv = []string{"TERM=dumb"}

// SelfExe is the berth binary containers' inits run from. It must be
// statically linked: the init re-executes it after pivot_root, where no
// dynamic loader exists. Tests point it at a static build.
var SelfExe = "/proc/self/exe"

var (
	staticOnce sync.Once
	staticErr  error
)

// checkStatic refuses early, with the reason, a binary that would fail
// inside the container with a bare "no such file or directory": a dynamic
// binary has the loader mapped.
func checkStatic() error {
	staticOnce.Do(func() {
		if SelfExe != "/proc/self/exe" {
			return
		}
		maps, err := os.ReadFile("/proc/self/maps")
		if err == nil && (bytes.Contains(maps, []byte("/ld-linux")) || bytes.Contains(maps, []byte("/ld-musl"))) {
			staticErr = errors.New("this berth binary is dynamically linked; containers need a static one (build with CGO_ENABLED=0, as `make build` does)")
		}
	})
	return staticErr
}

// Start runs the init for cfg in new namespaces, puts it in cg, and waits
// until the container's main process has been exec'd (or failed to be).
func Start(cfg *Config, stdio Stdio, cg cgroups.Cgroup) (*Container, error) {
	if err := checkStatic(); err != nil {
		return nil, &StartError{Code: 125, Err: err}
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	parent, child := os.NewFile(uintptr(fds[0]), "sync-parent"), os.NewFile(uintptr(fds[1]), "sync-child")
	defer parent.Close()
	var flags uintptr
	if cfg.Spec.Linux != nil {
		for _, ns := range cfg.Spec.Linux.Namespaces {
			if ns.Path != "" {
				return nil, fmt.Errorf("start: joining an existing %s namespace is not supported", ns.Type)
			}
			flags |= nsFlags[ns.Type]
		}
	}
	cmd := exec.Command(SelfExe, "__init")
	cmd.Args[0] = "berth-init"
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	cmd.ExtraFiles = []*os.File{child}
	cmd.Env = helperEnv
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: syscall.SIGKILL}
	if flags&unix.CLONE_NEWUSER != 0 {
		// The kernel wants the maps written before the child does anything;
		// Go writes them between clone and exec.
		for _, m := range cfg.Spec.Linux.UIDMappings {
			cmd.SysProcAttr.UidMappings = append(cmd.SysProcAttr.UidMappings, syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
		}
		for _, m := range cfg.Spec.Linux.GIDMappings {
			cmd.SysProcAttr.GidMappings = append(cmd.SysProcAttr.GidMappings, syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)})
		}
		if len(cmd.SysProcAttr.UidMappings) == 0 || len(cmd.SysProcAttr.GidMappings) == 0 {
			return nil, &StartError{Code: 125, Err: errors.New("start: a user namespace needs uidMappings and gidMappings")}
		}
		cmd.SysProcAttr.GidMappingsEnableSetgroups = true
		// Become the namespace's root (a mapped uid) before exec, or the
		// init runs as the unmapped host root: nobody, with no capabilities.
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 0, Gid: 0}
	}
	if cfg.Detached {
		cmd.SysProcAttr.Pdeathsig = 0
		cmd.SysProcAttr.Setsid = true
	}
	if err := cmd.Start(); err != nil {
		child.Close()
		return nil, fmt.Errorf("start init: %w", err)
	}
	child.Close()
	c := &Container{InitPid: cmd.Process.Pid, done: make(chan struct{}), proc: cmd.Process}
	go func() {
		cmd.Wait()
		c.code = exitCode(cmd.ProcessState.Sys().(syscall.WaitStatus))
		close(c.done)
	}()
	abort := func(code int, err error) (*Container, error) {
		cmd.Process.Kill()
		<-c.done
		return nil, &StartError{Code: code, Err: err}
	}
	if cg != nil {
		if err := cg.AddProc(c.InitPid); err != nil {
			return abort(125, err)
		}
	}
	if cfg.BeforeStart != nil {
		if err := cfg.BeforeStart(c.InitPid); err != nil {
			return abort(125, err)
		}
	}
	if err := json.NewEncoder(parent).Encode(syncMsg{Type: "config", Config: cfg}); err != nil {
		return abort(125, fmt.Errorf("start: send config: %w", err))
	}
	var reply syncMsg
	if err := json.NewDecoder(parent).Decode(&reply); err != nil {
		<-c.done
		return nil, &StartError{Code: 125, Err: fmt.Errorf("start: init exited with %d before starting the process", c.code)}
	}
	if reply.Type == "error" {
		<-c.done
		return nil, &StartError{Code: reply.Code, Err: errors.New(reply.Error)}
	}
	return c, nil
}

// Wait blocks until the container's init exits and returns the exit code.
func (c *Container) Wait() int {
	<-c.done
	return c.code
}

// Done is closed when the container has exited.
func (c *Container) Done() <-chan struct{} { return c.done }

// Signal sends sig to the init, which forwards it to the main process.
func (c *Container) Signal(sig syscall.Signal) error {
	return c.proc.Signal(sig)
}

// Exec runs p inside the running container whose init serves sock, with
// stdio as its fds 0-2. started (may be nil) receives the process's pid in
// the container. Signals sent on sigs are forwarded to it. It returns the
// exit code.
func Exec(sock string, p *specs.Process, stdio [3]*os.File, started func(pid int), sigs <-chan syscall.Signal) (int, error) {
	conn, err := unixsock.Dial(sock)
	if err != nil {
		return 125, fmt.Errorf("exec: container not running (%w)", err)
	}
	defer conn.Close()
	b, err := json.Marshal(execMsg{Process: p})
	if err != nil {
		return 125, err
	}
	rights := unix.UnixRights(int(stdio[0].Fd()), int(stdio[1].Fd()), int(stdio[2].Fd()))
	if _, _, err := conn.WriteMsgUnix(b, rights, nil); err != nil {
		return 125, fmt.Errorf("exec: %w", err)
	}
	dec := json.NewDecoder(conn)
	var m execMsg
	if err := dec.Decode(&m); err != nil {
		return 125, fmt.Errorf("exec: container went away: %w", err)
	}
	if m.Error != "" {
		return m.Code, &StartError{Code: m.Code, Err: errors.New(m.Error)}
	}
	if started != nil {
		started(m.Pid)
	}
	if sigs != nil {
		go func() {
			enc := json.NewEncoder(conn)
			for s := range sigs {
				if enc.Encode(execMsg{Signal: int(s)}) != nil {
					return
				}
			}
		}()
	}
	for {
		if err := dec.Decode(&m); err != nil {
			// The init died (container stopped): docker reports 137 then.
			return 137, nil
		}
		if m.Exit != nil {
			return *m.Exit, nil
		}
	}
}

// StartCreated asks the init of a container made with WaitStart to run its
// process, and returns the process's pid in the container.
func StartCreated(sock string) (int, error) {
	conn, err := unixsock.Dial(sock)
	if err != nil {
		return 0, fmt.Errorf("start: container is not waiting to start (%w)", err)
	}
	defer conn.Close()
	if err := json.NewEncoder(conn).Encode(execMsg{Start: true}); err != nil {
		return 0, err
	}
	var m execMsg
	if err := json.NewDecoder(conn).Decode(&m); err != nil {
		return 0, fmt.Errorf("start: %w", err)
	}
	if m.Error != "" {
		return 0, &StartError{Code: m.Code, Err: errors.New(m.Error)}
	}
	return m.Pid, nil
}
