package monitor

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"berth/engine/cgroups"
	"berth/engine/runtime"
	"berth/internal/unixsock"
)

// Restart is the restart policy.
type Restart struct {
	Name       string // no, on-failure, always, unless-stopped
	MaxRetries int
}

// Local is the user's own terminal in a foreground run.
type Local struct {
	Stdin          io.Reader // nil: no input
	Stdout, Stderr io.Writer
	Resize         <-chan Winsize
	Size           *Winsize
}

// Options describe the container to supervise.
type Options struct {
	Dir        string // containers/<id>
	Config     *runtime.Config
	Resources  cgroups.Resources
	CgroupName string
	TTY        bool
	OpenStdin  bool
	Restart    Restart
	Local      *Local
	// Started is called once, after the first start attempt, with its error.
	Started func(error)
	// Health, when set, runs the image's health check while the
	// container runs.
	Health *HealthConfig
	// Prestart wires what must exist before the process runs (networking)
	// for the init pid; it returns the published ports and a cleanup run
	// after the container exits.
	Prestart func(initPid int) (ports []string, cleanup func(), err error)
}

// Run starts the container, supervises it through restarts, and returns
// its final exit code.
func Run(o Options) (int, error) {
	logw, err := openLog(o.Dir)
	if err != nil {
		o.started(err)
		return 125, err
	}
	defer logw.close()
	h := &hub{}
	stdin := &stdinSwitch{}
	resize := &resizer{}
	sock := filepath.Join(o.Dir, AttachSocket)
	os.Remove(sock)
	ln, err := unixsock.Listen(sock)
	if err != nil {
		o.started(err)
		return 125, fmt.Errorf("attach socket: %w", err)
	}
	defer func() { ln.Close(); os.Remove(sock) }()
	go serveAttach(ln, h, stdin, resize)
	if o.Local != nil && o.Local.Resize != nil {
		go func() {
			for ws := range o.Local.Resize {
				resize.set(ws)
			}
		}()
	}
	layout, err := cgroups.Detect()
	if err != nil {
		o.started(err)
		return 125, err
	}
	restarts := 0
	for {
		code, err := o.runOnce(layout, logw, h, stdin, resize, restarts)
		if err != nil {
			h.flush(time.Second)
			return code, err
		}
		st, _ := ReadState(o.Dir)
		if !o.shouldRestart(code, restarts, st.StopRequested) {
			h.flush(time.Second)
			return code, nil
		}
		restarts++
		UpdateState(o.Dir, func(s *State) { s.Status, s.RestartCount = Restarting, restarts })
		// docker's backoff: 100ms doubling, capped.
		time.Sleep(min(100*time.Millisecond<<min(restarts, 10), 10*time.Second))
		st, _ = UpdateState(o.Dir, func(s *State) {
			if s.StopRequested {
				s.Status = Exited
			}
		})
		if st.StopRequested {
			return code, nil
		}
	}
}

func (o Options) started(err error) {
	if o.Started != nil {
		o.Started(err)
	}
}

func (o Options) shouldRestart(code, restarts int, stopped bool) bool {
	if stopped {
		return false
	}
	switch o.Restart.Name {
	case "always", "unless-stopped":
		return true
	case "on-failure":
		return code != 0 && (o.Restart.MaxRetries == 0 || restarts < o.Restart.MaxRetries)
	}
	return false
}

func (o Options) runOnce(layout cgroups.Layout, logw *logWriter, h *hub, stdin *stdinSwitch, resize *resizer, restarts int) (int, error) {
	first := restarts == 0
	fail := func(code int, err error) (int, error) {
		UpdateState(o.Dir, func(st *State) {
			st.Status, st.ExitCode, st.Error, st.FinishedAt = Exited, code, err.Error(), time.Now().UTC()
		})
		if first {
			o.started(err)
		}
		return code, err
	}
	cg, err := cgroups.New(layout, o.CgroupName)
	if err != nil {
		return fail(125, err)
	}
	if err := cg.Create(o.Resources); err != nil {
		cg.Delete()
		return fail(125, err)
	}
	defer cg.Delete()

	var stdio runtime.Stdio
	var closeAfterStart []*os.File
	var outputs []struct {
		r      *os.File
		stream string
	}
	var master *os.File
	if o.TTY {
		m, s, err := pty.Open()
		if err != nil {
			return fail(125, fmt.Errorf("open pty: %w", err))
		}
		master = m
		if o.Local != nil && o.Local.Size != nil {
			pty.Setsize(m, &pty.Winsize{Rows: o.Local.Size.Rows, Cols: o.Local.Size.Cols})
		}
		stdio = runtime.Stdio{Stdin: s, Stdout: s, Stderr: s}
		closeAfterStart = append(closeAfterStart, s)
		outputs = append(outputs, struct {
			r      *os.File
			stream string
		}{m, "stdout"})
		stdin.set(m)
		resize.attach(m)
	} else {
		for _, stream := range []string{"stdout", "stderr"} {
			r, w, err := os.Pipe()
			if err != nil {
				return fail(125, err)
			}
			if stream == "stdout" {
				stdio.Stdout = w
			} else {
				stdio.Stderr = w
			}
			closeAfterStart = append(closeAfterStart, w)
			outputs = append(outputs, struct {
				r      *os.File
				stream string
			}{r, stream})
		}
		if o.OpenStdin {
			r, w, err := os.Pipe()
			if err != nil {
				return fail(125, err)
			}
			stdio.Stdin = r
			closeAfterStart = append(closeAfterStart, r)
			stdin.set(w)
		} else {
			devnull, _ := os.Open(os.DevNull)
			stdio.Stdin = devnull
			closeAfterStart = append(closeAfterStart, devnull)
		}
	}
	var ports []string
	cleanup := func() {}
	if o.Prestart != nil {
		o.Config.BeforeStart = func(pid int) error {
			var err error
			var cl func()
			ports, cl, err = o.Prestart(pid)
			if cl != nil {
				cleanup = cl
			}
			return err
		}
	}
	c, err := runtime.Start(o.Config, stdio, cg)
	defer func() { cleanup() }()
	for _, f := range closeAfterStart {
		f.Close()
	}
	if err != nil {
		for _, out := range outputs {
			out.r.Close()
		}
		stdin.close()
		code := 125
		if se, ok := err.(*runtime.StartError); ok {
			code = se.Code
		}
		return fail(code, err)
	}
	pidStart, _ := StartTime(c.InitPid)
	_, err = UpdateState(o.Dir, func(st *State) {
		*st = State{Status: Running, Pid: c.InitPid, PidStart: pidStart, MonitorPid: os.Getpid(),
			StartedAt: time.Now().UTC(), RestartCount: restarts, CgroupPaths: cg.Paths(), Health: st.Health, Ports: ports}
	})
	if err != nil {
		c.Signal(syscall.SIGKILL)
		c.Wait()
		return fail(125, err)
	}
	if first {
		o.started(nil)
		if o.Local != nil && o.Local.Stdin != nil {
			go copyStdin(o.Local.Stdin, stdin)
		}
	}
	stopHealth := o.startHealth(c)
	var wg sync.WaitGroup
	for _, out := range outputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pump(out.r, out.stream, logw, h, o.Local)
		}()
	}
	code := c.Wait()
	stopHealth()
	stdin.close()
	if master != nil {
		// The init is gone, but a daemonized child may still hold the
		// slave; don't wait for it forever.
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		master.Close()
		resize.attach(nil)
	} else {
		wg.Wait()
	}
	oom := false
	if s, err := cg.Stats(); err == nil && s.Memory.OOMKills > 0 {
		oom = true
	}
	_, err = UpdateState(o.Dir, func(st *State) {
		st.Status, st.ExitCode, st.OOMKilled, st.FinishedAt, st.Pid = Exited, code, oom, time.Now().UTC(), 0
		st.CgroupPaths, st.Error, st.Ports = nil, "", nil
	})
	if err != nil {
		return code, err
	}
	b, _ := json.Marshal(struct{ Code int }{code})
	h.send(frameExit, b)
	return code, nil
}

func pump(r *os.File, stream string, logw *logWriter, h *hub, local *Local) {
	defer r.Close()
	buf := make([]byte, 32<<10)
	typ := frameStdout
	if stream == "stderr" {
		typ = frameStderr
	}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			p := buf[:n]
			logw.write(stream, p)
			h.send(typ, p)
			if local != nil {
				if stream == "stderr" {
					local.Stderr.Write(p)
				} else {
					local.Stdout.Write(p)
				}
			}
		}
		if err != nil {
			return // EOF, or EIO from a PTY master whose slave closed
		}
	}
}

func copyStdin(r io.Reader, s *stdinSwitch) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.write(buf[:n])
		}
		if err != nil {
			s.closeInput()
			return
		}
	}
}

// stdinSwitch is the container's current stdin: the PTY master or the
// stdin pipe of the running instance (it changes across restarts).
type stdinSwitch struct {
	mu  sync.Mutex
	w   *os.File
	tty bool
}

func (s *stdinSwitch) set(w *os.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
}

func (s *stdinSwitch) write(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != nil {
		s.w.Write(p)
	}
}

// closeInput ends the input of a pipe stdin (a PTY master stays open: it
// is also the output).
func (s *stdinSwitch) closeInput() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != nil && !isPTY(s.w) {
		s.w.Close()
		s.w = nil
	}
}

func (s *stdinSwitch) close() { s.closeInput() }

func isPTY(f *os.File) bool {
	_, err := pty.GetsizeFull(f)
	return err == nil
}

// resizer applies the latest size to the current PTY.
type resizer struct {
	mu sync.Mutex
	m  *os.File
	ws *Winsize
}

func (r *resizer) attach(m *os.File) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m = m
	if m != nil && r.ws != nil {
		pty.Setsize(m, &pty.Winsize{Rows: r.ws.Rows, Cols: r.ws.Cols})
	}
}

func (r *resizer) set(ws Winsize) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ws = &ws
	if r.m != nil {
		pty.Setsize(r.m, &pty.Winsize{Rows: ws.Rows, Cols: ws.Cols})
	}
}

func serveAttach(ln net.Listener, h *hub, stdin *stdinSwitch, resize *resizer) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			typ, p, err := readFrame(conn)
			if err != nil || typ != frameHello {
				conn.Close()
				return
			}
			var hi hello
			json.Unmarshal(p, &hi)
			c := &client{out: make(chan []byte, 1024), conn: conn, done: make(chan struct{})}
			h.add(c)
			go func() {
				defer close(c.done)
				for b := range c.out {
					if _, err := conn.Write(b); err != nil {
						break
					}
				}
				conn.Close()
			}()
			for {
				typ, p, err := readFrame(conn)
				if err != nil {
					h.remove(c)
					return
				}
				switch typ {
				case frameStdin:
					if !hi.Stdin {
						continue
					}
					if len(p) == 0 {
						stdin.closeInput()
						continue
					}
					stdin.write(p)
				case frameResize:
					var ws Winsize
					if json.Unmarshal(p, &ws) == nil {
						resize.set(ws)
					}
				}
			}
		}()
	}
}
