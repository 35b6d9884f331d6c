package engine

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"berth/engine/archive"
	"berth/internal/fixture"
)

// Interop tests hold berth to what skopeo, umoci and podman accept and
// write. Each skips with the reason when its tool is not installed
// (.ci/run installs them all).

func need(t *testing.T, tool string, root bool) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed (apt-get install %s)", tool, tool)
	}
	if root && os.Geteuid() != 0 {
		t.Skipf("%s test needs root", tool)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func saveTo(t *testing.T, e *Engine, f archive.Format, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "saved")
	var sink archive.Sink
	if f == archive.OCIDir {
		sink, _ = archive.NewDirSink(out)
	} else {
		fh, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		sink = archive.NewTarSink(fh)
	}
	if err := e.Save(ctx, sink, []string{name}, f); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInteropSkopeoAndUmociReadBerthOCI(t *testing.T) {
	need(t, "skopeo", false)
	e := newEngine(t)
	load(t, e, fixture.LayersLayout(t))
	im, _ := e.ResolveImage(ctx, "berth/layers")
	dir := saveTo(t, e, archive.OCIDir, "berth/layers")
	var insp struct {
		Digest digest.Digest
		Layers []digest.Digest
	}
	json.Unmarshal([]byte(run(t, "skopeo", "inspect", "oci:"+dir)), &insp)
	if insp.Digest != im.Manifest.Digest || len(insp.Layers) != 3 {
		t.Fatalf("skopeo sees %+v, berth has %s", insp, im.Manifest.Digest)
	}
	tarball := saveTo(t, e, archive.OCI, "berth/layers")
	json.Unmarshal([]byte(run(t, "skopeo", "inspect", "oci-archive:"+tarball)), &insp)
	if insp.Digest != im.Manifest.Digest {
		t.Fatalf("skopeo oci-archive digest %s", insp.Digest)
	}

	need(t, "umoci", true)
	bundle := filepath.Join(t.TempDir(), "bundle")
	run(t, "umoci", "unpack", "--image", dir+":latest", bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	if b, err := os.ReadFile(filepath.Join(rootfs, "opt/app/c")); err != nil || string(b) != "c\n" {
		t.Fatalf("umoci rootfs: %v", err)
	}
	for _, gone := range []string{"etc/motd", "opt/app/a"} {
		if _, err := os.Lstat(filepath.Join(rootfs, gone)); err == nil {
			t.Errorf("%s should be whited out", gone)
		}
	}
}

func TestInteropSkopeoCopyLoadsIntoBerth(t *testing.T) {
	need(t, "skopeo", false)
	src := fixture.LayersLayout(t)
	out := filepath.Join(t.TempDir(), "copied")
	run(t, "skopeo", "copy", "oci:"+src+":latest", "oci:"+out+":latest")
	e := newEngine(t)
	got := load(t, e, out)
	if len(got) != 1 {
		t.Fatalf("loaded %+v", got)
	}
	ref := newEngine(t)
	load(t, ref, src)
	a, _ := e.ResolveImage(ctx, got[0].ID.String())
	b, _ := ref.ResolveImage(ctx, "berth/layers")
	if strings.Join(toStrings(a.Config.RootFS.DiffIDs), ",") != strings.Join(toStrings(b.Config.RootFS.DiffIDs), ",") {
		t.Fatalf("diffIDs differ after skopeo copy")
	}
}

func podman(t *testing.T) func(args ...string) string {
	need(t, "podman", true)
	// podman refuses a runroot over 50 characters: t.TempDir is too long.
	dir, err := os.MkdirTemp("", "bpod")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	base := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
		"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"}
	return func(args ...string) string { return run(t, "podman", append(append([]string{}, base...), args...)...) }
}

func TestInteropPodmanLoadsBerthAndBack(t *testing.T) {
	p := podman(t)
	e := newEngine(t)
	load(t, e, fixture.LayersLayout(t))
	im, _ := e.ResolveImage(ctx, "berth/layers")
	want := toStrings(im.Config.RootFS.DiffIDs)

	p("load", "-i", saveTo(t, e, archive.Docker, "berth/layers"))
	var layers []string
	json.Unmarshal([]byte(p("image", "inspect", "--format", "{{json .RootFS.Layers}}", "berth/layers")), &layers)
	if strings.Join(sorted(layers), ",") != strings.Join(want, ",") {
		t.Fatalf("podman diffIDs %v, berth %v", layers, want)
	}

	back := filepath.Join(t.TempDir(), "podman.tar")
	p("save", "--format", "docker-archive", "-o", back, "berth/layers")
	e2 := newEngine(t)
	got := load(t, e2, back)
	if len(got) != 1 || got[0].ID != im.ID {
		t.Fatalf("podman save loaded as %+v, want image ID %s", got, im.ID)
	}
	im2, _ := e2.ResolveImage(ctx, im.ID.String())
	if strings.Join(toStrings(im2.Config.RootFS.DiffIDs), ",") != strings.Join(want, ",") {
		t.Fatal("diffIDs changed through podman")
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
