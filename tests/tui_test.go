package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The real binary in a real terminal: open the workstation, find a running
// container, stop it from the TUI, quit; the shell gets its screen back.
func TestTUIInTmux(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "ticker", "busybox", "sh", "-c", "while true; do echo tick; sleep 0.2; done")
	s := newTmux(t, e, 120, 30, "")
	s.waitFor("busybox")
	s.waitFor("1 Images")
	s.keys("2")
	s.waitFor("ticker")
	s.keys("Enter") // logs
	s.waitFor("tick")
	s.keys("t") // stats
	s.waitFor("CPU %")
	// A CLI in another terminal changes the store: the TUI follows.
	e.ok("run", "-d", "--name", "second", "busybox", "sleep", "300")
	s.waitFor("second")
	s.keys("S") // stop the selected container: the cursor stayed on ticker
	s.waitFor("$ berth stop ticker")
	until(t, 15*time.Second, "stopped in ps", func() bool {
		return strings.Contains(e.ok("ps", "-a", "--format", "{{.Names}} {{.State}}"), "ticker exited")
	})
	s.keys("q")
	s.waitFor("EXITED-0")
	if strings.Contains(s.screen(), "1 Images") {
		t.Fatalf("terminal not restored after quit:\n%s", s.screen())
	}
}

// The walk-through: a shell in a pane, the CPU graph moving while
// `yes` runs, stopping the container, quitting with the terminal restored.
func TestTUIShellPaneAndStats(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "box", "busybox", "sleep", "3600")
	s := newTmux(t, e, 140, 32, "")
	s.waitFor("1 Images")
	s.keys("2")
	s.waitFor("box")
	s.keys("s")
	s.waitFor("/ #")
	s.keys("echo hello-from-pane", "Enter")
	s.waitFor("│hello-from-pane")
	// q belongs to the shell while it has focus.
	s.keys("q")
	time.Sleep(300 * time.Millisecond)
	if strings.Contains(s.screen(), "EXITED") {
		t.Fatal("q quit berth instead of reaching the shell")
	}
	s.keys("BSpace", "yes > /dev/null &", "Enter")
	s.keys("C-]")
	s.keys("t")
	until(t, 15*time.Second, "CPU above 50%", func() bool {
		for _, line := range strings.Split(s.screen(), "\n") {
			if i := strings.Index(line, "CPU %"); i >= 0 {
				var v float64
				if _, err := fmt.Sscanf(strings.TrimSpace(line[i+5:]), "%f%%", &v); err == nil && v > 50 {
					return true
				}
			}
		}
		return false
	})
	s.keys("S")
	s.waitFor("$ berth stop box")
	until(t, 15*time.Second, "box stopped", func() bool {
		return strings.Contains(e.ok("ps", "-a", "--format", "{{.Names}} {{.State}}"), "box exited")
	})
	s.keys("q")
	s.waitFor("EXITED-0")
}
