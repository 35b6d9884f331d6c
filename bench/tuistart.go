package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"berth/internal/fixture"
)

// tuiProcessRows measures the real binary in a terminal (tmux), as a user
// meets it: time to the first frame that lists the store, CPU while nothing
// changes, and resident memory with live stats streams and shells open.
// The store holds 1000 containers and 500 images, the sizes.
func tuiProcessRows(tw *tabwriter.Writer, bin, w string) {
	root := filepath.Join(w, "berth-tui-root")
	// tmux's own socket directory keeps sockets after kill-server.
	sock := filepath.Join(w, "tmux.sock")
	tmux := func(args ...string) (string, error) {
		out, err := exec.Command("tmux", append([]string{"-S", sock}, args...)...).CombinedOutput()
		return string(out), err
	}
	report := func(name, val, budget string, ratio float64) {
		fmt.Fprintf(tw, "%s\t%s\tbudget\t%s\t%.2f\n", name, val, budget, ratio)
	}
	rowErr := func(name string, err error) { fmt.Fprintf(tw, "%s\terror: %v\n", name, err) }
	if _, err := exec.LookPath("tmux"); err != nil {
		fmt.Fprintf(tw, "TUI first frame\tskipped: tmux not installed\n")
		return
	}
	if err := tuiStore(bin, root, 1000, 500); err != nil {
		rowErr("TUI first frame", err)
		return
	}
	// kill-server returns before the server is gone; a new session begun
	// at once can reach the dying server ("server exited unexpectedly").
	killServer := func() {
		tmux("kill-server")
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := tmux("list-sessions"); err != nil {
				return
			}
		}
	}
	defer killServer()

	// Median of three starts; the last instance stays for the rows below.
	var firsts []time.Duration
	for i := range 3 {
		if i > 0 {
			killServer()
		}
		d, err := firstFrame(tmux, bin, root)
		if err != nil {
			rowErr("TUI first frame", err)
			return
		}
		firsts = append(firsts, d)
	}
	slices.Sort(firsts)
	first := firsts[1]
	report("TUI first frame, 1000 containers + 500 images", ms(first), "150ms", float64(first)/float64(150*time.Millisecond))

	pidText, err := tmux("display", "-p", "#{pane_pid}")
	if err != nil {
		rowErr("TUI idle CPU", err)
		return
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(pidText))
	time.Sleep(2 * time.Second)
	t0, err := cpuTicks(pid)
	if err != nil {
		rowErr("TUI idle CPU", err)
		return
	}
	const idle = 10 * time.Second
	time.Sleep(idle)
	t1, _ := cpuTicks(pid)
	pct := float64(t1-t0) / 100 / idle.Seconds() * 100 // USER_HZ is 100
	report("TUI idle CPU, 10s, nothing changing", fmt.Sprintf("%.1f%%", pct), "1%", pct/1)

	// 20 running containers are 20 stats streams (the CPU column samples
	// each); five of them get a shell pane.
	var running []string
	defer func() {
		if len(running) > 0 {
			exec.Command(bin, append([]string{"--root", root, "rm", "-f"}, running...)...).Run()
		}
	}()
	for i := range 20 {
		name := fmt.Sprintf("live%d", i)
		if out, err := exec.Command(bin, "--root", root, "run", "-d", "--network", "none", "--name", name, "busybox", "sleep", "3600").CombinedOutput(); err != nil {
			rowErr("TUI RSS", fmt.Errorf("run %s: %v: %s", name, err, out))
			return
		}
		running = append(running, name)
	}
	// The list keeps its selection when rows arrive above it: g goes to
	// the top, where the newest (running) containers are.
	tmux("send-keys", "2")
	time.Sleep(time.Second)
	tmux("send-keys", "g")
	time.Sleep(200 * time.Millisecond)
	opened := map[string]bool{}
	for range 5 {
		tmux("send-keys", "s")
		// The pane's title names the container once its shell is up.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			screen, _ := tmux("capture-pane", "-p")
			if name := shellTitle(screen); name != "" && !opened[name] {
				opened[name] = true
				break
			}
		}
		tmux("send-keys", "C-]")
		time.Sleep(200 * time.Millisecond)
		tmux("send-keys", "j")
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(10 * time.Second) // every stream holds samples; refreshes settle
	shells := countShells(pid)
	rss, err := rssMB(pid, "VmRSS:")
	if err != nil {
		rowErr("TUI RSS", err)
		return
	}
	peak, _ := rssMB(pid, "VmHWM:")
	report(fmt.Sprintf("TUI RSS, 20 stats streams + %d shells", shells), fmt.Sprintf("%.0fMB", rss), "80MB", rss/80)
	report("TUI peak RSS (VmHWM) over the whole run", fmt.Sprintf("%.0fMB", peak), "80MB", peak/80)
}

// firstFrame starts berth in a fresh tmux session and times it to the first
// screen that lists images. The shell is up before the clock starts, so the
// time is berth's own.
func firstFrame(tmux func(...string) (string, error), bin, root string) (time.Duration, error) {
	if out, err := tmux("new-session", "-d", "-x", "160", "-y", "48", "sh"); err != nil {
		return 0, fmt.Errorf("tmux new-session: %v: %s", err, out)
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	tmux("send-keys", "exec "+bin+" --root "+root, "Enter")
	for time.Since(start) < 10*time.Second {
		screen, _ := tmux("capture-pane", "-p")
		if strings.Contains(screen, "REPOSITORY") && strings.Contains(screen, "img") {
			return time.Since(start), nil
		}
	}
	return 0, fmt.Errorf("no image list on screen after 10s")
}

// tuiStore fills a store with n containers (created, not started: no
// network, no processes) and m image names.
func tuiStore(bin, root string, n, m int) error {
	layout := filepath.Join(filepath.Dir(root), "tui-busybox")
	if err := fixture.Busybox(layout); err != nil {
		return err
	}
	run := func(args ...string) error {
		if out, err := exec.Command(bin, append([]string{"--root", root}, args...)...).CombinedOutput(); err != nil {
			return fmt.Errorf("berth %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("load", "-q", "-i", layout); err != nil {
		return err
	}
	for i := range m {
		if err := run("tag", "busybox", fmt.Sprintf("img%d:v1", i)); err != nil {
			return err
		}
	}
	for i := range n {
		if err := run("create", "--network", "none", "--name", fmt.Sprintf("c%d", i), "busybox", "true"); err != nil {
			return err
		}
	}
	return nil
}

// cpuTicks is a process's user+system time in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which may hold spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s, nil
}

// rssMB reads a memory field (VmRSS:, VmHWM:) of /proc/PID/status in MB.
func rssMB(pid int, field string) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", pid, field)
}

// shellTitle is the container named in a shell pane's title, "" when no
// shell pane shows.
func shellTitle(screen string) string {
	_, after, ok := strings.Cut(screen, "Shell ")
	if !ok || !strings.Contains(screen, "ctrl+] leaves") {
		return ""
	}
	if f := strings.Fields(after); len(f) > 0 {
		return f[0]
	}
	return ""
}

// countShells counts the PTY masters berth holds: one per open shell pane.
func countShells(pid int) int {
	fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", pid))
	n := 0
	for _, fd := range fds {
		if t, err := os.Readlink(fd); err == nil && t == "/dev/ptmx" {
			n++
		}
	}
	return n
}
