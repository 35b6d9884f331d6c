package tests

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"berth/engine/runtime"
	"berth/internal/fixture"
)

// ociBundle makes a runc-style bundle: the busybox rootfs and a config.
func ociBundle(t *testing.T, e *env, args []string, terminal bool) string {
	t.Helper()
	b := t.TempDir()
	rootfs := filepath.Join(b, "rootfs")
	os.Mkdir(rootfs, 0o755)
	blobs, _ := filepath.Glob(filepath.Join(fixture.BusyboxLayout(t), "blobs/sha256/*"))
	for _, blob := range blobs {
		if fi, _ := os.Stat(blob); fi.Size() > 100000 {
			if out, err := exec.Command(e.bin, "__layer", "apply", blob, rootfs).CombinedOutput(); err != nil {
				t.Fatalf("apply: %v %s", err, out)
			}
		}
	}
	spec := runtime.DefaultSpec(args)
	spec.Process.Terminal = terminal
	raw, _ := json.Marshal(spec)
	os.WriteFile(filepath.Join(b, "config.json"), raw, 0o644)
	return b
}

func TestOCILifecycle(t *testing.T) {
	e := newEnv(t)
	state := t.TempDir()
	oci := func(args ...string) res { return e.run("", append([]string{"oci", "--state-dir", state}, args...)...) }
	bundle := ociBundle(t, e, []string{"sh", "-c", "sleep 300"}, false)
	// The container keeps create's stdio, as with runc: give it files, or
	// the test would wait for pipes the container holds open.
	create := func(args ...string) int {
		c := e.cmd(append([]string{"oci", "--state-dir", state}, args...)...)
		c.Stdin, c.Stdout, c.Stderr = nil, nil, nil
		if err := c.Run(); err != nil {
			t.Fatalf("create: %v", err)
		}
		return 0
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	create("create", "--bundle", bundle, "--pid-file", pidFile, "box")
	t.Cleanup(func() { oci("delete", "--force", "box") })
	status := func() string {
		var st struct {
			Status string
			Pid    int
		}
		json.Unmarshal([]byte(oci("state", "box").out), &st)
		return st.Status
	}
	if s := status(); s != "created" {
		t.Fatalf("after create: %s", s)
	}
	if b, _ := os.ReadFile(pidFile); atoi(string(b)) == 0 {
		t.Fatalf("pid file: %q", b)
	}
	if r := oci("start", "box"); r.code != 0 {
		t.Fatalf("start: %s", r.err)
	}
	if s := status(); s != "running" {
		t.Fatalf("after start: %s", s)
	}
	if r := oci("delete", "box"); r.code == 0 {
		t.Fatal("deleted a running container without --force")
	}
	if r := oci("kill", "box", "KILL"); r.code != 0 {
		t.Fatalf("kill: %s", r.err)
	}
	until(t, 5*time.Second, "stopped", func() bool { return status() == "stopped" })
	if r := oci("delete", "box"); r.code != 0 {
		t.Fatalf("delete: %s", r.err)
	}
	if r := oci("state", "box"); r.code == 0 || !strings.Contains(r.err, "does not exist") {
		t.Fatalf("state after delete: %d %q", r.code, r.err)
	}
}

// --console-socket receives the PTY master, as runc's protocol does.
func TestOCIConsoleSocket(t *testing.T) {
	e := newEnv(t)
	state := t.TempDir()
	bundle := ociBundle(t, e, []string{"sh", "-c", "echo on-the-console; sleep 300"}, true)
	sock := filepath.Join(t.TempDir(), "console.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan *os.File, 1)
	go func() {
		c, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		buf, oob := make([]byte, 256), make([]byte, unix.CmsgSpace(4))
		_, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		msgs, _ := unix.ParseSocketControlMessage(oob[:oobn])
		if len(msgs) == 1 {
			if fds, _ := unix.ParseUnixRights(&msgs[0]); len(fds) == 1 {
				got <- os.NewFile(uintptr(fds[0]), "console")
			}
		}
	}()
	oci := func(args ...string) res { return e.run("", append([]string{"oci", "--state-dir", state}, args...)...) }
	if r := oci("create", "--bundle", bundle, "--console-socket", sock, "tty"); r.code != 0 {
		t.Fatalf("create: %s", r.err)
	}
	t.Cleanup(func() { oci("delete", "--force", "tty") })
	var master *os.File
	select {
	case master = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no PTY master on the console socket")
	}
	defer master.Close()
	oci("start", "tty")
	buf := make([]byte, 256)
	master.SetReadDeadline(time.Now().Add(5 * time.Second))
	var out string
	for !strings.Contains(out, "on-the-console") {
		n, err := master.Read(buf)
		if err != nil {
			t.Fatalf("read console: %v (got %q)", err, out)
		}
		out += string(buf[:n])
	}
}

func TestRunFlags(t *testing.T) {
	e := newEnv(t)
	envFile := filepath.Join(t.TempDir(), "env")
	os.WriteFile(envFile, []byte("# comment\nFROM_FILE=yes\n"), 0o644)
	out := e.ok("run", "--rm", "-e", "A=1", "--env-file", envFile, "-w", "/tmp", "--hostname", "h1",
		"--entrypoint", "sh", "busybox", "-c", "echo $A $FROM_FILE $(pwd) $(hostname)")
	if out != "1 yes /tmp h1\n" {
		t.Fatalf("env/workdir/hostname/entrypoint: %q", out)
	}
	if r := e.run("", "run", "--rm", "--read-only", "busybox", "touch", "/x"); r.code == 0 {
		t.Fatal("--read-only root is writable")
	}
	if out := e.ok("run", "--rm", "--read-only", "--tmpfs", "/tmp", "busybox", "sh", "-c", "touch /tmp/x && echo ok"); out != "ok\n" {
		t.Fatalf("--read-only with --tmpfs: %q", out)
	}
	if r := e.run("", "run", "--rm", "--cap-drop", "CHOWN", "busybox", "chown", "nobody", "/tmp"); r.code == 0 {
		t.Fatal("--cap-drop CHOWN still chowns")
	}
	if out := e.ok("run", "--rm", "--cap-add", "NET_RAW", "busybox", "sh", "-c", "grep CapEff /proc/self/status"); !strings.Contains(out, "CapEff") {
		t.Fatalf("--cap-add: %q", out)
	}
	if out := e.ok("run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs", "/proc/self/status"); !strings.Contains(out, "1") {
		t.Fatalf("no-new-privileges: %q", out)
	}
	e.ok("run", "-d", "--name", "sig", "--stop-signal", "USR1", "--label", "team=core", "busybox", "sh", "-c",
		`trap "echo got-usr1; exit 0" USR1; while true; do sleep 0.1; done`)
	if out := e.ok("ps", "--filter", "label=team=core", "--format", "{{.Names}}"); out != "sig\n" {
		t.Fatalf("label filter: %q", out)
	}
	e.ok("stop", "sig")
	if out := e.ok("logs", "sig"); !strings.Contains(out, "got-usr1") {
		t.Fatalf("--stop-signal: %q", out)
	}
	if out := e.ok("logs", "-t", "--tail", "3", "sig"); !strings.Contains(out, "Z got-usr1") {
		t.Fatalf("logs -t: %q", out)
	}
	if out := e.ok("logs", "--since", "1h", "sig"); !strings.Contains(out, "got-usr1") {
		t.Fatalf("logs --since: %q", out)
	}
	if out := e.ok("logs", "--until", "2000-01-01", "sig"); out != "" {
		t.Fatalf("logs --until: %q", out)
	}
}

// A user namespace when the spec asks for one: root inside is an
// unprivileged uid outside.
func TestOCIUserNamespace(t *testing.T) {
	e := newEnv(t)
	state := t.TempDir()
	bundle := ociBundle(t, e, []string{"sh", "-c", "cat /proc/self/uid_map; id -u"}, false)
	raw, _ := os.ReadFile(filepath.Join(bundle, "config.json"))
	var spec map[string]any
	json.Unmarshal(raw, &spec)
	linux := spec["linux"].(map[string]any)
	linux["namespaces"] = append(linux["namespaces"].([]any), map[string]any{"type": "user"})
	linux["uidMappings"] = []map[string]int{{"containerID": 0, "hostID": 100000, "size": 65536}}
	linux["gidMappings"] = []map[string]int{{"containerID": 0, "hostID": 100000, "size": 65536}}
	raw, _ = json.Marshal(spec)
	os.WriteFile(filepath.Join(bundle, "config.json"), raw, 0o644)
	// The namespace's root is host uid 100000: it must reach the bundle.
	for d := bundle; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	out := filepath.Join(t.TempDir(), "out")
	c := e.cmd("oci", "--state-dir", state, "run", "--bundle", bundle, "u1")
	f, _ := os.Create(out)
	c.Stdout, c.Stderr = f, f
	err := c.Run()
	f.Close()
	b, _ := os.ReadFile(out)
	if err != nil {
		t.Fatalf("oci run with a user namespace: %v\n%s", err, b)
	}
	fields := strings.Fields(string(b))
	if len(fields) < 4 || fields[0] != "0" || fields[1] != "100000" || fields[3] != "0" {
		t.Fatalf("uid map / id inside: %q", b)
	}
}
