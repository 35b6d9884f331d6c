package tests

import (
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
