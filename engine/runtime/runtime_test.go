package runtime

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/layer"
	"berth/internal/fixture"
	"berth/internal/testbin"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "__init":
			InitMain()
		case "__exec":
			ExecMain()
		}
	}
	testbin.Main(m)
}

// bundle unpacks the busybox fixture as a plain rootfs.
func bundle(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("containers need root")
	}
	SelfExe = testbin.Berth(t)
	layout := fixture.BusyboxLayout(t)
	blobs, _ := filepath.Glob(filepath.Join(layout, "blobs/sha256/*"))
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	os.Mkdir(rootfs, 0o755)
	for _, b := range blobs {
		f, _ := os.Open(b)
		fi, _ := f.Stat()
		if fi.Size() > 100000 { // the one layer
			if _, err := layer.Apply(context.Background(), f, rootfs, layer.ApplyOptions{SameOwner: true, AllowDevices: true}); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	}
	return dir
}

func testSpec(args ...string) *specs.Spec {
	caps := CapSet(DefaultCapabilities)
	return &specs.Spec{
		Version:  specs.Version,
		Root:     &specs.Root{Path: "rootfs"},
		Hostname: "berthtest",
		Process: &specs.Process{Args: args, Cwd: "/", Env: []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"},
			Capabilities: caps, Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 1024}}},
		Mounts: DefaultMounts(),
		Linux: &specs.Linux{Namespaces: DefaultNamespaces(), MaskedPaths: MaskedPaths, ReadonlyPaths: ReadonlyPaths,
			Seccomp: DefaultSeccomp(DefaultCapabilities)},
	}
}

func runIn(t *testing.T, dir string, spec *specs.Spec) (string, int) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	cfg := &Config{Spec: spec, Rootfs: filepath.Join(dir, "rootfs"), ExecSocket: filepath.Join(dir, "exec.sock")}
	c, err := Start(cfg, Stdio{Stdin: devnull, Stdout: out, Stderr: out}, nil)
	if err != nil {
		if se, ok := err.(*StartError); ok {
			b, _ := os.ReadFile(out.Name())
			return se.Error() + string(b), se.Code
		}
		t.Fatal(err)
	}
	code := c.Wait()
	b, _ := os.ReadFile(out.Name())
	return string(b), code
}

func TestRunEchoAndExitCode(t *testing.T) {
	dir := bundle(t)
	out, code := runIn(t, dir, testSpec("echo", "hi"))
	if out != "hi\n" || code != 0 {
		t.Fatalf("got %q exit %d", out, code)
	}
	if _, code := runIn(t, dir, testSpec("sh", "-c", "exit 3")); code != 3 {
		t.Fatalf("exit code %d", code)
	}
	out, code = runIn(t, dir, testSpec("nosuchcmd"))
	if code != 127 || !strings.Contains(out, "nosuchcmd") {
		t.Fatalf("missing command: %q %d", out, code)
	}
}

func TestIsolation(t *testing.T) {
	dir := bundle(t)
	script := `echo pid=$$; hostname; ps -o pid | wc -l; cat /proc/kcore | wc -c; ` +
		`mount -t tmpfs none /mnt 2>&1 || echo mount-refused; unshare -U true 2>&1 || echo unshare-refused; ` +
		`grep CapEff /proc/self/status; touch /proc/sys/kernel/x 2>/dev/null || echo procsys-ro; echo done`
	out, code := runIn(t, dir, testSpec("sh", "-c", script))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	var pid int
	fmt.Sscanf(out[strings.Index(out, "pid="):], "pid=%d", &pid)
	if pid < 1 || pid > 20 {
		t.Errorf("process sees pid %d: not in its own pid namespace", pid)
	}
	for _, want := range []string{"berthtest", "mount-refused", "unshare-refused", "procsys-ro", "done"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "\n0\n") { // masked, or absent on this kernel: 0 bytes either way
		t.Errorf("/proc/kcore not masked:\n%s", out)
	}
	if strings.Contains(out, "CapEff:\t000001ffffffffff") || strings.Contains(out, "CapEff:\t0000003fffffffff") {
		t.Errorf("full capabilities:\n%s", out)
	}
}

var _ = bytes.NewBuffer
