package tests

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDetachedLogsExecStop(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok("run", "-d", "--name", "ticker", "busybox", "sh", "-c",
		`trap "echo got-term; exit 0" TERM; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done`))
	if len(id) != 64 {
		t.Fatalf("run -d printed %q", id)
	}
	// The CLI has exited; the container runs on.
	if out := e.ok("ps", "--format", "{{.Names}} {{.State}}"); !strings.Contains(out, "ticker running") {
		t.Fatalf("ps: %q", out)
	}
	// logs -f follows new lines while it runs.
	f := e.cmd("logs", "-f", "ticker")
	stdout, _ := f.StdoutPipe()
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	seen := 0
	for sc.Scan() && seen < 15 {
		if strings.HasPrefix(sc.Text(), "tick ") {
			seen++
		}
	}
	if seen < 15 {
		t.Fatalf("logs -f saw %d ticks", seen)
	}
	if out := e.ok("exec", "ticker", "sh", "-c", "echo inside $(hostname)"); out != "inside "+id[:12]+"\n" {
		t.Fatalf("exec: %q", out)
	}
	if r := e.run("", "exec", "ticker", "sh", "-c", "exit 7"); r.code != 7 {
		t.Fatalf("exec exit code %d", r.code)
	}
	if r := e.run("hello-stdin\n", "exec", "-i", "ticker", "cat"); r.out != "hello-stdin\n" {
		t.Fatalf("exec -i: %q", r.out)
	}
	e.ok("stop", "ticker")
	done := make(chan error, 1)
	go func() { done <- f.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		f.Process.Kill()
		t.Fatal("logs -f did not end when the container stopped")
	}
	if out := e.ok("logs", "--tail", "3", "ticker"); !strings.Contains(out, "got-term\n") {
		t.Fatalf("stop signal not delivered: last lines %q", out)
	}
	if code := strings.TrimSpace(e.ok("wait", "ticker")); code != "0" {
		t.Fatalf("exit code after stop: %s", code)
	}
}

func TestStopKillsAfterTimeout(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "stubborn", "busybox", "sh", "-c", `trap "" TERM; while true; do sleep 0.1; done`)
	start := time.Now()
	e.ok("stop", "-t", "1", "stubborn")
	if d := time.Since(start); d < time.Second || d > 5*time.Second {
		t.Fatalf("stop took %v, want about the 1s timeout", d)
	}
	if out := strings.TrimSpace(e.ok("inspect", "--format", "{{.State.ExitCode}} {{.State.Status}}", "stubborn")); out != "137 exited" {
		t.Fatalf("after stop: %s", out)
	}
}

func TestRestartOnFailure(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 1")
	until(t, 10*time.Second, "two restarts", func() bool {
		out := e.ok("inspect", "--format", "{{.RestartCount}} {{.State.Status}}", "flaky")
		return strings.TrimSpace(out) == "2 exited"
	})
	if n := strings.Count(e.ok("logs", "flaky"), "run\n"); n != 3 {
		t.Fatalf("ran %d times, want 3", n)
	}
}

func TestVolumes(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c", "echo kept > /data/f")
	if out := e.ok("run", "--rm", "-v", "data:/data", "busybox", "cat", "/data/f"); out != "kept\n" {
		t.Fatalf("named volume: %q", out)
	}
	if out := e.ok("volume", "ls", "-q"); out != "data\n" {
		t.Fatalf("volume ls: %q", out)
	}
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "in"), []byte("from host\n"), 0o644)
	if out := e.ok("run", "--rm", "-v", host+":/h:ro", "busybox", "cat", "/h/in"); out != "from host\n" {
		t.Fatalf("bind: %q", out)
	}
	if r := e.run("", "run", "--rm", "-v", host+":/h:ro", "busybox", "touch", "/h/new"); r.code == 0 {
		t.Fatal("wrote through a :ro bind mount")
	}
	if _, err := os.Stat(filepath.Join(host, "new")); err == nil {
		t.Fatal("file appeared on the host through :ro")
	}
	if out := e.ok("run", "--rm", "--tmpfs", "/scratch", "busybox", "sh", "-c", "echo x > /scratch/y && grep -c ' /scratch ' /proc/self/mountinfo"); out != "1\n" {
		t.Fatalf("tmpfs: %q", out)
	}
	if r := e.run("", "volume", "rm", "data"); r.code != 0 {
		t.Fatalf("volume rm: %s", r.err)
	}
}

// 50 containers started at once and removed with rm -f leave no process,
// cgroup, mount, socket or directory behind.
func TestParallelRemoveLeavesNothing(t *testing.T) {
	e := newEnv(t)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if r := e.run("", "run", "-d", "--name", fmt.Sprintf("p%d", i), "busybox", "sleep", "300"); r.code != 0 {
				errs <- r.err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("run -d: %s", err)
	}
	ids := strings.Fields(e.ok("ps", "-q", "--no-trunc"))
	if len(ids) != n {
		t.Fatalf("%d running, want %d", len(ids), n)
	}
	for i := 0; i < n; i += 10 {
		wg.Add(1)
		go func(batch []string) {
			defer wg.Done()
			e.ok(append([]string{"rm", "-f"}, batch...)...)
		}(ids[i:min(i+10, n)])
	}
	wg.Wait()
	if left := e.containerDirs(); len(left) != 0 {
		t.Fatalf("%d container directories left", len(left))
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, _ := os.ReadFile(p)
		cmd := string(b)
		if strings.Contains(cmd, e.root) || strings.HasPrefix(cmd, "berth-init") && strings.Contains(cmd, "sleep\x00300") {
			t.Errorf("process left: %s %q", p, cmd)
		}
	}
	for _, id := range ids {
		if matches, _ := filepath.Glob("/sys/fs/cgroup/*/berth/" + id); len(matches) > 0 {
			t.Errorf("cgroup left: %v", matches)
		}
		if found := findCgroup(id); found != "" {
			t.Errorf("cgroup left: %s", found)
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mounts), e.root) {
		t.Error("mount left under the store")
	}
}

func findCgroup(id string) string {
	var found string
	filepath.WalkDir("/sys/fs/cgroup", func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() || found != "" {
			return filepath.SkipDir
		}
		if d.Name() == id {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
