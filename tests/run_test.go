package tests

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestRunOutputAndExitCodes(t *testing.T) {
	e := newEnv(t)
	if out := e.ok("run", "--rm", "busybox", "echo", "hi"); out != "hi\n" {
		t.Fatalf("echo: %q", out)
	}
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--rm", "busybox", "sh", "-c", "exit 3"}, 3, ""},
		{[]string{"run", "--rm", "busybox", "sh", "-c", "kill -9 $$"}, 137, ""},
		{[]string{"run", "--rm", "busybox", "nosuchcmd"}, 127, `"nosuchcmd": executable file not found`},
		{[]string{"run", "--rm", "busybox", "/etc/passwd"}, 126, "/etc/passwd"},
	}
	for _, c := range cases {
		r := e.run("", c.args...)
		if r.code != c.code || !strings.Contains(r.err, c.want) {
			t.Errorf("%v: exit %d stderr %q; want %d %q", c.args, r.code, r.err, c.code, c.want)
		}
	}
	if n := len(e.containerDirs()); n != 0 {
		t.Errorf("--rm left %d containers", n)
	}
}

func TestBadInputLeavesNothing(t *testing.T) {
	e := newEnv(t)
	rootfs := filepath.Join(t.TempDir(), "empty.tar")
	os.WriteFile(rootfs, make([]byte, 1024), 0o644)
	e.ok("import", rootfs, "nocmd:1")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "nosuchimage"}, "no such image: nosuchimage"},
		{[]string{"run", "--bogus", "busybox"}, "unknown flag: --bogus"},
		{[]string{"run", "-v", "relative:dir", "busybox", "true"}, "invalid volume"},
		{[]string{"run", "-v", "/nonexistent-berth:/x", "busybox", "true"}, "bind source path does not exist"},
		{[]string{"run", "nocmd:1"}, "no command specified"},
		{[]string{"run", "-m", "lots", "busybox"}, "--memory"},
		{[]string{"run", "--restart", "sometimes", "busybox"}, "--restart"},
		{[]string{"run", "--cap-add", "NOT_A_CAP", "busybox", "true"}, "NOT_A_CAP"},
	}
	for _, c := range cases {
		r := e.run("", c.args...)
		lines := strings.Split(strings.TrimSpace(r.err), "\n")
		if c.args[1] == "nosuchimage" {
			// docker's way: a note that it is pulling, then the one error.
			lines = lines[len(lines)-1:]
		}
		if r.code != 125 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%v: exit %d stderr %q; want 125 and one line with %q", c.args, r.code, r.err, c.want)
		}
	}
	// The cap-add failure happens at start, after create: docker keeps such
	// a container too, but nothing else may be left.
	for _, id := range e.containerDirs() {
		b, _ := os.ReadFile(filepath.Join(e.root, "containers", id, "container.json"))
		if !strings.Contains(string(b), "NOT_A_CAP") {
			t.Errorf("bad input left container %s", id)
		}
	}
}

func TestIsolationAndDefaults(t *testing.T) {
	e := newEnv(t)
	script := `echo pid=$$; ps -o pid | tail -n +2 | wc -l; hostname; cat /proc/1/cmdline >/dev/null 2>&1 && echo proc1-readable;
mount -t tmpfs none /tmp 2>/dev/null || echo mount-refused
unshare -U true 2>/dev/null || echo unshare-refused
reboot -f 2>/dev/null; echo after-reboot
insmod /nonexistent.ko 2>/dev/null || echo insmod-refused
ping -c1 -W1 127.0.0.1 >/dev/null 2>&1 || echo raw-refused
grep CapEff /proc/self/status
wc -c </proc/kcore 2>/dev/null || echo kcore-absent
grep -c ' /proc/kcore \| /sys/firmware ' /proc/self/mountinfo
touch /proc/sys/kernel/x 2>/dev/null || echo procsys-ro
grep -qs ' /work \| /root ' /proc/self/mountinfo || echo no-host-mounts
ip link 2>/dev/null | grep -c '^[0-9]'`
	out := e.ok("run", "--rm", "--hostname", "box", "busybox", "sh", "-c", script)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	pid, _ := strconv.Atoi(strings.TrimPrefix(lines[0], "pid="))
	if pid < 1 || pid > 20 {
		t.Errorf("container process has pid %d: not in its own pid namespace", pid)
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(lines[1])); n > 6 {
		t.Errorf("container sees %d processes", n)
	}
	for _, want := range []string{"box", "mount-refused", "unshare-refused", "after-reboot", "insmod-refused",
		"raw-refused", "procsys-ro", "no-host-mounts"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	capEff := func(s string) uint64 {
		i := strings.Index(s, "CapEff:")
		v, _ := strconv.ParseUint(strings.TrimSpace(s[i+7:i+7+18]), 16, 64)
		return v
	}
	const sysAdmin = 1 << 21
	if capEff(out)&sysAdmin != 0 {
		t.Errorf("CAP_SYS_ADMIN held by default:\n%s", out)
	}
	priv := e.ok("run", "--rm", "--privileged", "busybox", "grep", "CapEff", "/proc/self/status")
	if capEff(priv)&sysAdmin == 0 {
		t.Errorf("--privileged lacks CAP_SYS_ADMIN: %s", priv)
	}
	if out := e.ok("run", "--rm", "--privileged", "busybox", "sh", "-c", "mount -t tmpfs none /tmp && echo mounted"); !strings.Contains(out, "mounted") {
		t.Errorf("--privileged cannot mount: %s", out)
	}

	// Writes stay in their container: not in another, not in the image.
	e.ok("run", "--name", "w1", "busybox", "sh", "-c", "echo one > /etc/marker")
	if r := e.run("", "run", "--rm", "busybox", "cat", "/etc/marker"); r.code == 0 {
		t.Errorf("a new container sees another's write: %q", r.out)
	}
	matches, _ := filepath.Glob(filepath.Join(e.root, "layers", "*", "diff", "etc", "marker"))
	if len(matches) != 0 {
		t.Errorf("write reached the image layer: %v", matches)
	}
	up, _ := filepath.Glob(filepath.Join(e.root, "containers", "*", "upper", "etc", "marker"))
	if len(up) != 1 {
		t.Errorf("write not in the container's upper dir: %v", up)
	}
}
