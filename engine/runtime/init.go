package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/internal/unixsock"
)

// InitMain is `berth __init`: PID 1 of a container. It never returns.
func InitMain() {
	sync := os.NewFile(3, "sync")
	enc, dec := json.NewEncoder(sync), json.NewDecoder(sync)
	fail := func(code int, err error) {
		enc.Encode(syncMsg{Type: "error", Error: err.Error(), Code: code})
		os.Exit(code)
	}
	var msg syncMsg
	if err := dec.Decode(&msg); err != nil || msg.Config == nil {
		fail(125, fmt.Errorf("init: read config: %v", err))
	}
	cfg := msg.Config
	spec := cfg.Spec
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil && hasNamespace(spec, specs.CgroupNamespace) {
		fail(125, fmt.Errorf("init: cgroup namespace: %w", err))
	}
	if hasNamespace(spec, specs.NetworkNamespace) {
		if err := loopbackUp(); err != nil {
			fail(125, fmt.Errorf("init: %w", err))
		}
	}
	terminal := spec.Process != nil && spec.Process.Terminal
	if err := setupRootfs(cfg, terminal); err != nil {
		fail(125, fmt.Errorf("init: %w", err))
	}
	if cfg.JoinNetNS != "" {
		// Opened while the host's /proc is still in view; every container
		// process setns-es into it in __exec.
		f, err := os.Open(cfg.JoinNetNS)
		if err != nil {
			fail(125, fmt.Errorf("init: join network namespace: %w", err))
		}
		joinNetNS = f
	}
	var ln *net.UnixListener
	if cfg.ExecSocket != "" {
		// Bound before pivot_root, at its host path: host tools reach it
		// there, and the descriptor keeps working inside.
		os.Remove(cfg.ExecSocket)
		l, err := unixsock.Listen(cfg.ExecSocket)
		if err != nil {
			fail(125, fmt.Errorf("init: exec socket: %w", err))
		}
		ln = l
	}
	if err := pivotRoot(cfg.Rootfs); err != nil {
		fail(125, fmt.Errorf("init: %w", err))
	}
	if err := finishRootfs(spec); err != nil {
		fail(125, fmt.Errorf("init: %w", err))
	}
	if spec.Hostname != "" {
		if err := unix.Sethostname([]byte(spec.Hostname)); err != nil {
			fail(125, fmt.Errorf("init: hostname: %w", err))
		}
	}
	// Keep container processes away from /proc/1/exe (the berth binary).
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)

	r := &reaper{procs: map[int]func(syscall.WaitStatus){}}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs)
	var startConn *net.UnixConn
	if cfg.WaitStart {
		enc.Encode(syncMsg{Type: "created"})
		sync.Close()
		sync = nil
		startConn = awaitStart(ln)
	}
	// The main process: its exit is the container's.
	done := make(chan int, 1)
	pid, code, err := r.spawn(spec.Process, spec, [3]*os.File{os.Stdin, os.Stdout, os.Stderr}, func(ws syscall.WaitStatus) {
		done <- exitCode(ws)
	})
	if startConn != nil {
		if err != nil {
			json.NewEncoder(startConn).Encode(execMsg{Error: err.Error(), Code: code})
			os.Exit(code)
		}
		json.NewEncoder(startConn).Encode(execMsg{Pid: pid})
		startConn.Close()
	} else {
		if err != nil {
			fail(code, err)
		}
		enc.Encode(syncMsg{Type: "started", Pid: pid})
		sync.Close()
	}
	if ln != nil {
		go serveExec(ln, r, spec)
	}
	for {
		select {
		case s := <-sigs:
			switch s {
			case unix.SIGCHLD:
				r.reap()
			case unix.SIGURG, unix.SIGPIPE:
				// The Go runtime's own preemption signal; a broken client.
			default:
				unix.Kill(pid, s.(syscall.Signal))
			}
		case c := <-done:
			os.Exit(c)
		}
	}
}

func hasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	if s.Linux == nil {
		return false
	}
	for _, n := range s.Linux.Namespaces {
		if n.Type == t {
			return true
		}
	}
	return false
}

// joinNetNS is the network namespace container processes join, if any.
var joinNetNS *os.File

// exitCode is the shell's convention: a signal n is 128+n.
func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// reaper owns every child of the init: it reaps them all with wait4(-1) and
// routes the exits of the ones it started to their owners.
type reaper struct {
	mu    sync.Mutex
	procs map[int]func(syscall.WaitStatus)
}

func (r *reaper) reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
		r.mu.Lock()
		cb := r.procs[pid]
		delete(r.procs, pid)
		r.mu.Unlock()
		if cb != nil {
			cb(ws)
		}
	}
}

// spawn starts a container process through `berth __exec`, which drops
// privileges and execs. It returns the pid, or an error with the exit code
// docker would give it (126 cannot invoke, 127 not found).
func (r *reaper) spawn(p *specs.Process, spec *specs.Spec, stdio [3]*os.File, onExit func(syscall.WaitStatus)) (int, int, error) {
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return 0, 125, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return 0, 125, err
	}
	files := []*os.File{stdio[0], stdio[1], stdio[2], cfgR, errW}
	if joinNetNS != nil {
		files = append(files, joinNetNS)
	}
	attr := &os.ProcAttr{
		Files: files,
		Env:   helperEnv,
		Sys:   &syscall.SysProcAttr{},
	}
	if p.Terminal {
		attr.Sys.Setsid, attr.Sys.Setctty, attr.Sys.Ctty = true, true, 0
	}
	// Hold the lock across start so a fast exit cannot be reaped before
	// its owner is recorded.
	r.mu.Lock()
	proc, err := os.StartProcess("/proc/self/exe", []string{"berth", "__exec"}, attr)
	if err == nil {
		r.procs[proc.Pid] = onExit
	}
	r.mu.Unlock()
	cfgR.Close()
	errW.Close()
	if err != nil {
		cfgW.Close()
		errR.Close()
		return 0, 125, fmt.Errorf("start process: %w", err)
	}
	json.NewEncoder(cfgW).Encode(execConfig{Process: p, Linux: spec.Linux, JoinNetNS: joinNetNS != nil})
	cfgW.Close()
	// __exec writes here only if it fails before exec; on success the
	// close-on-exec pipe just closes.
	var fe struct {
		Error string
		Code  int
	}
	derr := json.NewDecoder(errR).Decode(&fe)
	errR.Close()
	proc.Release()
	if derr == nil && fe.Error != "" {
		return 0, fe.Code, errors.New(fe.Error)
	}
	return proc.Pid, 0, nil
}

// loopbackUp brings up lo, which a new network namespace starts with down.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("loopback up: %w", err)
	}
	return nil
}

// awaitStart blocks until a client asks for the start; exec requests are
// refused until then.
func awaitStart(ln *net.UnixListener) *net.UnixConn {
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			os.Exit(125)
		}
		var m execMsg
		if json.NewDecoder(c).Decode(&m) == nil && m.Start {
			return c
		}
		json.NewEncoder(c).Encode(execMsg{Error: "container is created but not started", Code: 125})
		c.Close()
	}
}
