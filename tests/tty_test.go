package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs a berth command line in a detached tmux pane, the way a
// person's terminal would.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

func newTmux(t *testing.T, e *env, cols, rows int, cmdline string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	// The server's socket lives in a directory of the test's own, so that
	// nothing of it outlives the test (tmux's default directory keeps them).
	dir, err := os.MkdirTemp("", "btmux")
	if err != nil {
		t.Fatal(err)
	}
	s := &tmuxSession{t: t, socket: filepath.Join(dir, "s"), name: "main"}
	full := fmt.Sprintf("%s --root %s %s; echo EXITED-$?; sleep 60", e.bin, e.root, cmdline)
	if out, err := exec.Command("tmux", "-S", s.socket, "new-session", "-d", "-s", s.name,
		"-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows), full).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("tmux", "-S", s.socket, "kill-server").Run()
		os.RemoveAll(dir)
	})
	return s
}

func (s *tmuxSession) keys(k ...string) {
	s.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"-S", s.socket, "send-keys", "-t", s.name}, k...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("send-keys: %v %s", err, out)
	}
}

func (s *tmuxSession) screen() string {
	out, _ := exec.Command("tmux", "-S", s.socket, "capture-pane", "-p", "-t", s.name).Output()
	return string(out)
}

func (s *tmuxSession) waitFor(what string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.screen(), what) {
		if time.Now().After(deadline) {
			s.t.Fatalf("%q never appeared; screen:\n%s", what, s.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestInteractiveTTY(t *testing.T) {
	e := newEnv(t)
	s := newTmux(t, e, 100, 30, "run -it --rm busybox sh")
	s.waitFor("/ #")
	s.keys("echo pid=$$", "Enter")
	s.waitFor("\npid=")
	pid := 0
	for _, line := range strings.Split(s.screen(), "\n") {
		if strings.HasPrefix(line, "pid=") {
			pid = atoi(strings.TrimPrefix(line, "pid="))
		}
	}
	if pid < 1 || pid > 20 {
		t.Fatalf("shell pid %d: not in its own pid namespace", pid)
	}
	s.keys("stty size", "Enter")
	s.waitFor("30 100")
	exec.Command("tmux", "-S", s.socket, "resize-window", "-t", s.name, "-x", "120", "-y", "40").Run()
	time.Sleep(200 * time.Millisecond)
	s.keys("stty size", "Enter")
	s.waitFor("40 120")
	s.keys("exit 4", "Enter")
	s.waitFor("EXITED-4")
}

func TestAttachAndDetachKeys(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-dit", "--name", "shell", "busybox", "sh")
	s := newTmux(t, e, 100, 30, "attach shell")
	time.Sleep(300 * time.Millisecond)
	s.keys("echo attached-$((40+2))", "Enter")
	s.waitFor("attached-42")
	s.keys("C-p", "C-q")
	s.waitFor("read escape sequence")
	s.waitFor("EXITED-0")
	if out := e.ok("ps", "--format", "{{.Names}} {{.State}}"); !strings.Contains(out, "shell running") {
		t.Fatalf("detaching stopped the container: %q", out)
	}
	// Attach again and end the shell: attach returns its exit code.
	s2 := newTmux(t, e, 100, 30, "attach shell")
	time.Sleep(300 * time.Millisecond)
	s2.keys("exit 3", "Enter")
	s2.waitFor("EXITED-3")
}
