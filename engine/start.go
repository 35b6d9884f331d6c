package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"berth/engine/events"
	"berth/engine/monitor"
	"berth/engine/runtime"
)

// StartError carries the exit code a failed start gives (125, 126, 127).
type StartError = runtime.StartError

// RunContainer starts a created container with this process as its
// monitor, the user's terminal attached, and returns its exit code when it
// exits. started is called once the process runs (or failed to).
func (e *Engine) RunContainer(ctx context.Context, ref string, local *monitor.Local, started func(error)) (int, error) {
	ci, err := e.Container(ref)
	if err != nil {
		return 125, err
	}
	if err := e.claimStart(ci); err != nil {
		return 125, err
	}
	o, err := e.monitorOptions(ci)
	if err != nil {
		e.releaseStart(ci)
		return 125, err
	}
	o.Local = local
	o.Started = func(err error) {
		if err == nil {
			e.publish(events.Event{Type: events.Container, Action: "start", ID: ci.Record.ID, Name: ci.Record.Name})
		}
		if started != nil {
			started(err)
		}
	}
	code, err := monitor.Run(o)
	e.publish(events.Event{Type: events.Container, Action: "die", ID: ci.Record.ID, Name: ci.Record.Name})
	if ci.Record.Host.AutoRemove {
		e.removeDir(ci.Record.ID)
		e.releaseNetworks(ci)
	}
	return code, err
}

// claimStart moves a container to "starting" under its state lock, so two
// starts of one container cannot both run it.
func (e *Engine) claimStart(ci ContainerInfo) error {
	var busy bool
	_, err := monitor.UpdateState(e.containerDir(ci.Record.ID), func(s *monitor.State) {
		if running(*s) && (monitor.Alive(s.Pid, s.PidStart) || monitor.Alive(s.MonitorPid, 0)) {
			busy = true
			return
		}
		*s = monitor.State{Status: "starting", MonitorPid: os.Getpid(), RestartCount: s.RestartCount}
	})
	if err != nil {
		return err
	}
	if busy {
		return fmt.Errorf("container %s is already running", ci.Record.Name)
	}
	return nil
}

func (e *Engine) releaseStart(ci ContainerInfo) {
	monitor.UpdateState(e.containerDir(ci.Record.ID), func(s *monitor.State) {
		if s.Status == "starting" {
			s.Status = monitor.Created
		}
	})
}

// StartDetached starts the container under a detached monitor process
// (`berth __monitor`), which outlives this one. It returns once the
// container's process runs, or with the reason it could not start.
func (e *Engine) StartDetached(ctx context.Context, ref string) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	if ci.State.Status == monitor.Running {
		return nil // docker: starting a running container is a no-op
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	logf, err := os.OpenFile(e.containerDir(ci.Record.ID)+"/monitor.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		w.Close()
		return err
	}
	defer logf.Close()
	self := runtime.SelfExe
	cmd := exec.Command(self, "--root", e.Store.Root(), "__monitor", ci.Record.ID)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start monitor: %w", err)
	}
	w.Close()
	cmd.Process.Release()
	line, _ := bufio.NewReader(r).ReadString('\n')
	line = strings.TrimSpace(line)
	switch {
	case line == "ok":
		return nil
	case strings.HasPrefix(line, "error "):
		var code int
		msg := strings.TrimPrefix(line, "error ")
		fmt.Sscanf(msg, "%d", &code)
		_, msg, _ = strings.Cut(msg, " ")
		return &StartError{Code: code, Err: errors.New(msg)}
	}
	b, _ := os.ReadFile(e.containerDir(ci.Record.ID) + "/monitor.log")
	return fmt.Errorf("monitor for %s exited before starting it: %s", ci.Record.Name, strings.TrimSpace(string(b)))
}

// MonitorMain is `berth __monitor ID`: the detached supervisor. It reports
// "ok" or "error CODE message" on fd 3 once the first start is decided.
func (e *Engine) MonitorMain(id string) int {
	ready := os.NewFile(3, "ready")
	report := func(err error) {
		if ready == nil {
			return
		}
		if err == nil {
			fmt.Fprintln(ready, "ok")
		} else {
			code := 125
			var se *StartError
			if errors.As(err, &se) {
				code = se.Code
			}
			fmt.Fprintf(ready, "error %d %s\n", code, strings.ReplaceAll(err.Error(), "\n", " "))
		}
		ready.Close()
		ready = nil
	}
	code, err := e.RunContainer(context.Background(), id, nil, report)
	if err != nil {
		report(err)
		fmt.Fprintf(os.Stderr, "%s monitor: %v\n", time.Now().Format(time.RFC3339), err)
	}
	return code
}
