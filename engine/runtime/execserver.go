package runtime

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// serveExec answers exec requests: each connection carries one process
// spec and its three stdio descriptors, and gets back the pid and, later,
// the exit code.
func serveExec(ln *net.UnixListener, r *reaper, spec *specs.Spec) {
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		go handleExec(c, r, spec)
	}
}

func handleExec(c *net.UnixConn, r *reaper, spec *specs.Spec) {
	defer c.Close()
	enc := json.NewEncoder(c)
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(3*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return
	}
	files, err := recvFiles(oob[:oobn])
	if err != nil || len(files) != 3 {
		enc.Encode(execMsg{Error: fmt.Sprintf("exec: want 3 stdio descriptors, got %d (%v)", len(files), err), Code: 125})
		return
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var req execMsg
	if err := json.Unmarshal(buf[:n], &req); err != nil || req.Process == nil {
		enc.Encode(execMsg{Error: fmt.Sprintf("exec: bad request: %v", err), Code: 125})
		return
	}
	p := *req.Process
	if p.Capabilities == nil && spec.Process != nil {
		p.Capabilities = spec.Process.Capabilities
		p.NoNewPrivileges = spec.Process.NoNewPrivileges
		p.Rlimits = spec.Process.Rlimits
	}
	exited := make(chan int, 1)
	pid, code, err := r.spawn(&p, spec, [3]*os.File{files[0], files[1], files[2]}, func(ws syscall.WaitStatus) {
		exited <- exitCode(ws)
	})
	if err != nil {
		enc.Encode(execMsg{Error: err.Error(), Code: code})
		return
	}
	for _, f := range files {
		f.Close()
	}
	files = nil
	var mu sync.Mutex
	mu.Lock()
	enc.Encode(execMsg{Pid: pid})
	mu.Unlock()
	// Signals from the client (its user pressed ctrl-c, `exec` killed).
	go func() {
		dec := json.NewDecoder(c)
		for {
			var m execMsg
			if dec.Decode(&m) != nil {
				return
			}
			if m.Signal > 0 {
				unix.Kill(pid, syscall.Signal(m.Signal))
			}
		}
	}()
	code = <-exited
	mu.Lock()
	enc.Encode(execMsg{Exit: &code})
	mu.Unlock()
}

func recvFiles(oob []byte) ([]*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var out []*os.File
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err != nil {
			return nil, err
		}
		for _, fd := range fds {
			unix.CloseOnExec(fd)
			out = append(out, os.NewFile(uintptr(fd), "stdio"))
		}
	}
	return out, nil
}
