package snapshot

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// Many layers with long paths: more than a classic mount's option string
// holds, which the fsconfig path must take.
func TestOverlayManyLayers(t *testing.T) {
	if !Supported() {
		t.Skip("overlay mounts need root and overlayfs")
	}
	base := t.TempDir()
	var lowers []string
	for i := 0; i < 60; i++ {
		d := filepath.Join(base, fmt.Sprintf("layer-with-a-rather-long-directory-name-%03d", i), "diff")
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, fmt.Sprintf("f%d", i)), []byte{byte(i)}, 0o644)
		lowers = append(lowers, d)
	}
	os.WriteFile(filepath.Join(lowers[59], "f0"), []byte("top"), 0o644)
	ov, err := Prepare(filepath.Join(base, "ctr"), lowers)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(base, "ctr", "rootfs")
	os.Mkdir(target, 0o755)
	if err := ov.Mount(target); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(target, unix.MNT_DETACH)
	if b, _ := os.ReadFile(filepath.Join(target, "f0")); string(b) != "top" {
		t.Fatalf("top layer must win: %q", b)
	}
	if _, err := os.Stat(filepath.Join(target, "f30")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(target, "new"), []byte("x"), 0o644)
	if _, err := os.Stat(filepath.Join(ov.Upper, "new")); err != nil {
		t.Fatal("write did not land in the upper dir")
	}
	for _, l := range lowers {
		if _, err := os.Stat(filepath.Join(l, "new")); err == nil {
			t.Fatal("write reached a layer")
		}
	}
}

func TestFlattenAppliesWhiteouts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("whiteout devices need root")
	}
	base := t.TempDir()
	l1, l2 := filepath.Join(base, "l1"), filepath.Join(base, "l2")
	os.MkdirAll(filepath.Join(l1, "dir"), 0o755)
	os.WriteFile(filepath.Join(l1, "gone"), []byte("g"), 0o644)
	os.WriteFile(filepath.Join(l1, "dir", "old"), []byte("o"), 0o644)
	os.MkdirAll(filepath.Join(l2, "dir"), 0o755)
	unix.Mknod(filepath.Join(l2, "gone"), unix.S_IFCHR, 0)
	unix.Setxattr(filepath.Join(l2, "dir"), "trusted.overlay.opaque", []byte("y"), 0)
	os.WriteFile(filepath.Join(l2, "dir", "new"), []byte("n"), 0o644)
	dest := filepath.Join(base, "dest")
	os.Mkdir(dest, 0o755)
	if err := Flatten(dest, []string{l1, l2}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dest, "gone")); err == nil {
		t.Error("whiteout not applied")
	}
	if _, err := os.Lstat(filepath.Join(dest, "dir", "old")); err == nil {
		t.Error("opaque dir kept the lower file")
	}
	if _, err := os.Lstat(filepath.Join(dest, "dir", "new")); err != nil {
		t.Error("upper file missing")
	}
}
