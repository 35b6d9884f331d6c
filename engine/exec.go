package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/runtime"
)

// ExecOptions are `berth exec`'s flags.
type ExecOptions struct {
	Cmd     []string
	Env     []string
	User    string
	Workdir string
	Tty     bool
	// Started, when set, is called with the pid once the process runs.
	Started func(pid int)
}

// Exec runs a command in a running container with stdio as its fds 0-2,
// forwarding sigs to it, and returns its exit code.
func (e *Engine) Exec(ctx context.Context, ref string, o ExecOptions, stdio [3]*os.File, sigs <-chan syscall.Signal) (int, error) {
	ci, err := e.Container(ref)
	if err != nil {
		return 125, err
	}
	if !running(ci.State) {
		return 125, fmt.Errorf("container %s is not running", ci.Record.Name)
	}
	if len(o.Cmd) == 0 {
		return 125, fmt.Errorf("exec: no command given")
	}
	c := ci.Record.Config
	env := mergeEnv(c.Env, o.Env)
	if o.Tty && !hasEnv(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	user := c.User
	if o.User != "" {
		user = o.User
	}
	cwd := c.WorkingDir
	if o.Workdir != "" {
		cwd = o.Workdir
	}
	if cwd == "" {
		cwd = "/"
	}
	p := &specs.Process{Args: o.Cmd, Env: env, Cwd: cwd, Terminal: o.Tty, User: specs.User{Username: user}}
	return runtime.Exec(filepath.Join(e.containerDir(ci.Record.ID), "exec.sock"), p, stdio, o.Started, sigs)
}
