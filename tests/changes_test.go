package tests

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDiffCommitExportCp(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--name", "c", "busybox", "sh", "-c", "echo hi > /etc/newfile; rm /etc/group; mkdir -p /opt/d; echo x > /opt/d/f")
	diff := e.ok("diff", "c")
	for _, want := range []string{"A /etc/newfile", "D /etc/group", "A /opt/d/f", "C /etc"} {
		if !strings.Contains(diff, want+"\n") {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}
	if strings.Contains(diff, "/etc/hosts") {
		t.Errorf("diff shows berth's own mount points:\n%s", diff)
	}
	id := strings.TrimSpace(e.ok("commit", "-m", "test commit", "c", "committed:v1"))
	if !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("commit printed %q", id)
	}
	if out := e.ok("run", "--rm", "committed:v1", "sh", "-c", "cat /etc/newfile /opt/d/f; test -e /etc/group || echo group-gone"); out != "hi\nx\ngroup-gone\n" {
		t.Fatalf("committed image: %q", out)
	}
	if h := e.ok("history", "committed:v1"); !strings.Contains(h, "test commit") {
		t.Fatalf("history:\n%s", h)
	}

	r := e.run("", "export", "c")
	names := tarNames(t, []byte(r.out))
	if !names["etc/newfile"] || names["etc/group"] || !names["bin/busybox"] {
		t.Fatalf("export: newfile %v group %v busybox %v", names["etc/newfile"], names["etc/group"], names["bin/busybox"])
	}

	// cp both ways, on a stopped and on a running container.
	out := filepath.Join(t.TempDir(), "out")
	e.ok("cp", "c:/opt/d", out)
	if b, _ := os.ReadFile(filepath.Join(out, "f")); string(b) != "x\n" {
		t.Fatalf("cp out of a stopped container: %q", b)
	}
	e.ok("run", "-d", "--name", "live", "busybox", "sleep", "300")
	host := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(host, []byte("from host\n"), 0o644)
	e.ok("cp", host, "live:/tmp/")
	if got := e.ok("exec", "live", "cat", "/tmp/in.txt"); got != "from host\n" {
		t.Fatalf("cp into a running container: %q", got)
	}
	e.ok("cp", "live:/etc/passwd", filepath.Join(filepath.Dir(host), "passwd"))
	if b, _ := os.ReadFile(filepath.Join(filepath.Dir(host), "passwd")); !bytes.HasPrefix(b, []byte("root:")) {
		t.Fatalf("cp out of a running container: %q", b)
	}
	// A symlink in the container that points at the host's root stays
	// inside the container.
	e.ok("exec", "live", "ln", "-s", "/", "/tmp/escape")
	e.ok("cp", host, "live:/tmp/escape/etc/planted")
	if _, err := os.Stat("/etc/planted"); err == nil {
		os.Remove("/etc/planted")
		t.Fatal("cp followed a container symlink onto the host")
	}
	for name := range tarNames(t, []byte(e.run("", "export", "live").out)) {
		if strings.HasPrefix(name, "proc/") || strings.HasPrefix(name, "sys/") {
			t.Fatalf("export of a running container walked a mount: %s", name)
		}
	}
	e.ok("rename", "live", "renamed")
	if out := e.ok("ps", "--format", "{{.Names}}"); out != "renamed\n" {
		t.Fatalf("rename: %q", out)
	}
}

func tarNames(t *testing.T, b []byte) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("export is not a tar: %v", err)
		}
		names[strings.TrimSuffix(h.Name, "/")] = true
	}
}

func TestHealthcheckAndUser(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "hc", "--health-cmd", "test -e /tmp/ok", "--health-interval", "200ms",
		"--health-retries", "2", "busybox", "sh", "-c", "sleep 1; touch /tmp/ok; sleep 300")
	until(t, 10*time.Second, "healthy", func() bool {
		return strings.Contains(e.ok("ps", "--format", "{{.Status}}"), "(healthy)")
	})
	if out := e.ok("inspect", "--format", "{{.State.Health.Status}}", "hc"); strings.TrimSpace(out) != "healthy" {
		t.Fatalf("inspect health: %q", out)
	}
	if out := e.ok("run", "--rm", "-u", "nobody", "busybox", "id"); !strings.Contains(out, "uid=65534(nobody) gid=65534(nogroup)") {
		t.Fatalf("-u nobody: %q", out)
	}
	if out := e.ok("run", "--rm", "-u", "1234:5678", "busybox", "sh", "-c", "id -u; id -g; echo $HOME"); out != "1234\n5678\n/\n" {
		t.Fatalf("-u without a passwd entry: %q", out)
	}
	if out := e.ok("exec", "-u", "nobody", "hc", "id", "-u"); out != "65534\n" {
		t.Fatalf("exec -u: %q", out)
	}
	if r := e.run("", "run", "--rm", "-u", "nosuchuser", "busybox", "true"); r.code != 125 || !strings.Contains(r.err, "nosuchuser") {
		t.Fatalf("unknown user: %d %q", r.code, r.err)
	}
}

// A monitor killed with SIGKILL (a crash, a reboot) takes its container
// down; ps then says exited, never stuck "running".
func TestMonitorLossShowsExited(t *testing.T) {
	e := newEnv(t)
	id := strings.TrimSpace(e.ok("run", "-d", "busybox", "sleep", "300"))
	b, _ := os.ReadFile(filepath.Join(e.root, "containers", id, "state.json"))
	var mon int
	if i := bytes.Index(b, []byte(`"MonitorPid": `)); i >= 0 {
		mon = atoi(string(b[i+len(`"MonitorPid": `):]))
	}
	if mon == 0 {
		t.Fatalf("no monitor pid in %s", b)
	}
	p, _ := os.FindProcess(mon)
	p.Kill()
	until(t, 5*time.Second, "exited", func() bool {
		return strings.Contains(e.ok("ps", "-a", "--format", "{{.State}}"), "exited")
	})
	e.ok("rm", id)
}
