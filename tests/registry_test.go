package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"berth/internal/fixture"
)

// A fresh store for the same test: "an empty store".
func (e *env) fresh(t *testing.T) *env {
	f := &env{t: t, bin: e.bin, root: t.TempDir()}
	t.Cleanup(f.cleanup)
	return f
}

func TestPushPullRoundTrip(t *testing.T) {
	e := newEnv(t)
	reg := startRegistry(t, "")
	e.ok("load", "-q", "-i", fixture.LayersLayout(t))
	for _, img := range []string{"busybox", "berth/layers"} {
		e.ok("tag", img, reg.addr+"/test/"+strings.ReplaceAll(img, "/", "-")+":v1")
	}
	bb, layers := reg.addr+"/test/busybox:v1", reg.addr+"/test/berth-layers:v1"
	out := e.ok("push", bb)
	if !strings.Contains(out, "digest: sha256:") {
		t.Fatalf("push output:\n%s", out)
	}
	e.ok("push", layers)
	// The busybox layer is already there: the second push skips it.
	if out := e.ok("push", layers); !strings.Contains(out, "Layer already exists") {
		t.Fatalf("re-push did not skip:\n%s", out)
	}
	wantDigest := strings.TrimSpace(e.ok("image", "inspect", "--format", "{{.Manifest.Digest}}", layers))

	f := e.fresh(t)
	t.Cleanup(f.cleanup)
	f.ok("pull", bb)
	f.ok("pull", layers)
	if got := strings.TrimSpace(f.ok("image", "inspect", "--format", "{{.Manifest.Digest}}", layers)); got != wantDigest {
		t.Fatalf("pulled digest %s, pushed %s", got, wantDigest)
	}
	if out := f.ok("run", "--rm", layers, "cat", "/opt/app/c"); out != "c\n" {
		t.Fatalf("run pulled image: %q", out)
	}
	if out := f.ok("run", "--rm", bb, "echo", "pulled"); out != "pulled\n" {
		t.Fatalf("run pulled busybox: %q", out)
	}
	// Pull by digest, and manifest inspect.
	g := e.fresh(t)
	g.ok("pull", reg.addr+"/test/berth-layers@"+wantDigest)
	var m struct{ Layers []any }
	json.Unmarshal([]byte(g.ok("manifest", "inspect", layers)), &m)
	if len(m.Layers) != 3 {
		t.Fatalf("manifest inspect: %d layers", len(m.Layers))
	}
	// run pulls what is missing.
	h := e.fresh(t)
	t.Cleanup(h.cleanup)
	if r := h.run("", "run", "--rm", bb, "echo", "auto"); r.code != 0 || r.out != "auto\n" {
		t.Fatalf("run with pull: %d %q %q", r.code, r.out, r.err)
	}
	// Cross-repository mount: a new name on the same registry.
	e.ok("tag", layers, reg.addr+"/other/copy:v1")
	if out := e.ok("push", reg.addr+"/other/copy:v1"); !strings.Contains(out, "Mounted from") {
		t.Fatalf("push did not mount across repositories:\n%s", out)
	}
}

func TestInteropSkopeoPodman(t *testing.T) {
	e := newEnv(t)
	reg := startRegistry(t, "")
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Skip("skopeo not installed")
	}
	bb := reg.addr + "/interop/busybox:v1"
	e.ok("tag", "busybox", bb)
	e.ok("push", bb)
	want := strings.TrimSpace(e.ok("image", "inspect", "--format", "{{.Manifest.Digest}}", bb))
	dir := filepath.Join(t.TempDir(), "oci")
	if out, err := exec.Command("skopeo", "copy", "--src-tls-verify=false", "docker://"+bb, "oci:"+dir+":v1").CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v %s", err, out)
	}
	out, _ := exec.Command("skopeo", "inspect", "oci:"+dir+":v1").Output()
	var si struct{ Digest string }
	json.Unmarshal(out, &si)
	if si.Digest != want {
		t.Fatalf("skopeo sees %s, berth pushed %s", si.Digest, want)
	}
	// Pushed by skopeo, pulled and run by berth.
	sk := reg.addr + "/interop/from-skopeo:v1"
	if out, err := exec.Command("skopeo", "copy", "--dest-tls-verify=false", "oci:"+fixture.BusyboxLayout(t)+":latest", "docker://"+sk).CombinedOutput(); err != nil {
		t.Fatalf("skopeo push: %v %s", err, out)
	}
	f := e.fresh(t)
	t.Cleanup(f.cleanup)
	if out := f.ok("run", "--rm", sk, "echo", "from-skopeo"); !strings.HasSuffix(out, "from-skopeo\n") {
		t.Fatalf("berth run of a skopeo push: %q", out)
	}
	// podman pulls and runs what berth pushed.
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman not installed")
	}
	p := podmanFor(t)
	p("pull", "--tls-verify=false", bb)
	if got := strings.TrimSpace(p("image", "inspect", "--format", "{{.Digest}}", bb)); got != want {
		t.Fatalf("podman digest %s, berth %s", got, want)
	}
	if out := p("run", "--rm", "--network", "none", bb, "echo", "from-podman"); !strings.Contains(out, "from-podman") {
		t.Fatalf("podman run: %q", out)
	}
}

func podmanFor(t *testing.T) func(args ...string) string {
	return containersTool(t, "podman", "--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "runc")
}

// containersTool runs podman or buildah on a storage of its own (vfs, so
// nothing stays mounted) with ulimits this host's hard limit allows; the
// storage goes at the end of the test. Its stdout is returned, stderr is
// shown on failure.
func containersTool(t *testing.T, tool string, extra ...string) func(args ...string) string {
	dir, err := os.MkdirTemp("", "b"+tool[:3]) // the runroot must stay short
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "containers.conf")
	os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"), 0o644)
	base := append([]string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "vfs"}, extra...)
	cmd := func(args ...string) *exec.Cmd {
		c := exec.Command(tool, append(append([]string{}, base...), args...)...)
		c.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
		return c
	}
	t.Cleanup(func() {
		cmd("rmi", "-af").Run()
		exec.Command("umount", "-R", filepath.Join(dir, "run")).Run()
		os.RemoveAll(dir)
	})
	return func(args ...string) string {
		c := cmd(args...)
		var stderr strings.Builder
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s%s", tool, args, err, out, stderr.String())
		}
		return string(out)
	}
}

// docker.io images come from a configured mirror (Docker Hub itself is not
// reachable here, which proves the mirror served them).
func TestDockerHubMirror(t *testing.T) {
	e := newEnv(t)
	reg := startRegistry(t, "")
	e.ok("tag", "busybox", reg.addr+"/library/busybox:latest")
	e.ok("push", reg.addr+"/library/busybox:latest")
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("registries:\n  mirrors:\n    - "+reg.addr+"\n"), 0o644)
	t.Setenv("BERTH_CONFIG", cfg)
	f := e.fresh(t)
	f.ok("pull", "-q", "busybox")
	if out := f.ok("images", "--format", "{{.Repository}}:{{.Tag}}"); out != "busybox:latest\n" {
		t.Fatalf("images after a mirrored pull: %q", out)
	}
	os.WriteFile(cfg, []byte("registries:\n  mirrorz: []\n"), 0o644)
	if r := f.run("", "images"); r.code == 0 || !strings.Contains(r.err, "mirrorz") {
		t.Fatalf("a bad config key must be named: %d %q", r.code, r.err)
	}
}
