package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
	s := newTmux(t, e, 140, 32, "")
	s.waitFor("1 Images")
	s.waitFor("busybox")
	// Run it from the image's run form.
	s.keys("r")
	s.waitFor("enter runs")
	s.keys("box", "Tab", "sleep 3600", "Enter")
	s.waitFor("$ berth run -d --name box busybox:latest sleep 3600")
	s.keys("2")
	s.waitFor("running")
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

// Marks make one action reach several containers; a attaches a pane to a
// container's main process; c commits one to an image.
func TestTUIBulkAttachCommit(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "talker", "busybox", "sh", "-c", "while true; do echo attached-out; sleep 0.3; done")
	e.ok("run", "-d", "--name", "one", "busybox", "sleep", "3600")
	e.ok("run", "-d", "--name", "two", "busybox", "sleep", "3600")
	s := newTmux(t, e, 140, 32, "")
	s.waitFor("1 Images")
	s.keys("2")
	s.waitFor("talker")
	// Newest first: two, one, talker. Mark two and one, kill both.
	s.keys("Space", "Space")
	s.waitFor("* one")
	s.keys("K")
	s.waitFor("Kill two one?")
	s.keys("y")
	s.waitFor("$ berth kill two one")
	until(t, 15*time.Second, "both killed", func() bool {
		out := e.ok("ps", "-a", "--format", "{{.Names}} {{.State}}")
		return strings.Contains(out, "one exited") && strings.Contains(out, "two exited") && strings.Contains(out, "talker running")
	})
	s.keys("G", "a")
	s.waitFor("Attached to talker")
	s.waitFor("│attached-out")
	s.keys("C-]")
	s.keys("c")
	s.waitFor("commit talker as")
	s.keys("committed:v1", "Enter")
	s.waitFor("$ berth commit talker committed:v1")
	until(t, 15*time.Second, "the committed image", func() bool {
		return strings.Contains(e.ok("images", "--format", "{{.Repository}}:{{.Tag}}"), "committed:v1")
	})
	s.keys("q")
	s.waitFor("EXITED-0")
}

// Started with SIGHUP ignored (nohup), the TUI must still end when its
// terminal goes away instead of running on unseen.
func TestTUIQuitsOnHangup(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	cmd := fmt.Sprintf("trap '' HUP; exec %s --root %s", e.bin, e.root)
	if out, err := exec.Command("tmux", "-S", sock, "new-session", "-d", "-x", "100", "-y", "30", cmd).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", sock, "kill-server").Run() })
	out, err := exec.Command("tmux", "-S", sock, "list-panes", "-F", "#{pane_pid}").Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		screen, _ := exec.Command("tmux", "-S", sock, "capture-pane", "-p").Output()
		if strings.Contains(string(screen), "1 Images") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("berth did not draw:\n%s", screen)
		}
	}
	exec.Command("tmux", "-S", sock, "kill-server").Run()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		// Gone, or a zombie waiting for its (dead) parent's reaper.
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatal("berth ran on after its terminal hung up")
		}
	}
}
