package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

func isRoot() bool { return os.Geteuid() == 0 }

// sampleTree makes a tree with every kind of entry a layer can hold.
func sampleTree(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(d, "etc/app"), 0o755))
	must(os.WriteFile(filepath.Join(d, "etc/app/conf"), []byte("a=1\n"), 0o640))
	must(os.WriteFile(filepath.Join(d, "bin"), bytes.Repeat([]byte("x"), 300000), 0o755))
	must(os.Symlink("/etc/app/conf", filepath.Join(d, "etc/conf-link")))
	must(os.Link(filepath.Join(d, "bin"), filepath.Join(d, "bin-hard")))
	must(unix.Mkfifo(filepath.Join(d, "fifo"), 0o600))
	must(os.Mkdir(filepath.Join(d, "ro"), 0o555))
	must(os.WriteFile(filepath.Join(d, "suid"), []byte("s"), 0o4755))
	must(os.Chmod(filepath.Join(d, "suid"), 0o4755))
	must(unix.Lsetxattr(filepath.Join(d, "etc/app/conf"), "user.berth", []byte("v"), 0))
	old := time.Unix(1600000000, 123456789)
	for _, p := range []string{"etc/app/conf", "bin", "etc/app", "ro"} {
		must(os.Chtimes(filepath.Join(d, p), old, old))
	}
	return d
}

type node struct {
	mode  fs.FileMode
	size  int64
	link  string
	mtime int64
	xattr string
}

func snapshot(t *testing.T, root string) map[string]node {
	t.Helper()
	out := map[string]node{}
	filepath.Walk(root, func(p string, fi fs.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		n := node{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime().UnixNano()}
		if fi.IsDir() {
			n.size, n.mtime = 0, 0 // dir sizes are filesystem detail
			n.mtime = fi.ModTime().Unix()
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			n.link, _ = os.Readlink(p)
			n.mtime = 0
		}
		buf := make([]byte, 16)
		if k, err := unix.Lgetxattr(p, "user.berth", buf); err == nil {
			n.xattr = string(buf[:k])
		}
		out[rel] = n
		return nil
	})
	return out
}

func TestDiffApplyRoundTrip(t *testing.T) {
	src := sampleTree(t)
	for _, c := range []Compression{Uncompressed, Gzip, Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			var buf bytes.Buffer
			wr, err := Diff(context.Background(), &buf, src, DiffOptions{Compression: c})
			if err != nil {
				t.Fatal(err)
			}
			if wr.Digest != digest.FromBytes(buf.Bytes()) {
				t.Fatalf("write digest %s does not match bytes", wr.Digest)
			}
			dst := t.TempDir()
			ar, err := Apply(context.Background(), bytes.NewReader(buf.Bytes()), dst, ApplyOptions{Name: "test", SameOwner: isRoot()})
			if err != nil {
				t.Fatal(err)
			}
			if ar.Compression != c || ar.Digest != wr.Digest || ar.DiffID != wr.DiffID || ar.Size != wr.Size {
				t.Fatalf("apply %+v vs write %+v", ar, wr)
			}
			if c == Uncompressed && ar.Digest != ar.DiffID {
				t.Fatalf("uncompressed digest %s != diffID %s", ar.Digest, ar.DiffID)
			}
			want, got := snapshot(t, src), snapshot(t, dst)
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: got %+v want %+v", k, got[k], v)
				}
			}
			if len(got) != len(want) {
				t.Errorf("got %d entries, want %d", len(got), len(want))
			}
			var a, b unix.Stat_t
			unix.Lstat(filepath.Join(dst, "bin"), &a)
			unix.Lstat(filepath.Join(dst, "bin-hard"), &b)
			if a.Ino != b.Ino {
				t.Error("hardlink not preserved")
			}
		})
	}
}

func TestDiffDeterministic(t *testing.T) {
	src := sampleTree(t)
	var d1, d2 digest.Digest
	for _, d := range []*digest.Digest{&d1, &d2} {
		wr, err := Diff(context.Background(), io.Discard, src, DiffOptions{})
		if err != nil {
			t.Fatal(err)
		}
		*d = wr.DiffID
	}
	if d1 != d2 {
		t.Fatalf("two diffs of one tree differ: %s %s", d1, d2)
	}
}

func TestApplyHashesTrailingBytes(t *testing.T) {
	raw := append(mkTar(t, entry{name: "f", body: "x"}), make([]byte, 4096)...)
	ar, err := Apply(context.Background(), bytes.NewReader(raw), t.TempDir(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ar.DiffID != digest.FromBytes(raw) || ar.Size != int64(len(raw)) {
		t.Fatalf("diffID %s size %d, want %s %d", ar.DiffID, ar.Size, digest.FromBytes(raw), len(raw))
	}
}

func TestApplyZstdAndUnsupported(t *testing.T) {
	raw := mkTar(t, entry{name: "f", body: "hello"})
	var zb bytes.Buffer
	zw, _ := zstd.NewWriter(&zb)
	zw.Write(raw)
	zw.Close()
	ar, err := Apply(context.Background(), bytes.NewReader(zb.Bytes()), t.TempDir(), ApplyOptions{})
	if err != nil || ar.DiffID != digest.FromBytes(raw) || ar.Compression != Zstd {
		t.Fatalf("zstd: %v %+v", err, ar)
	}
	_, err = Apply(context.Background(), strings.NewReader("BZh91AY&SY"), t.TempDir(), ApplyOptions{Name: "sha256:abc"})
	if err == nil || !strings.Contains(err.Error(), "unsupported layer compression") || !strings.Contains(err.Error(), "sha256:abc") {
		t.Fatalf("bzip2: %v", err)
	}
}

func TestApplyReplacesAndKeepsDirs(t *testing.T) {
	dst := t.TempDir()
	raw := mkTar(t,
		entry{name: "d/", typ: tar.TypeDir},
		entry{name: "d/a", body: "1"},
		entry{name: "d/", typ: tar.TypeDir, mode: 0o700},
		entry{name: "d/a", body: "22"},
		entry{name: "x", body: "file"},
		entry{name: "x/", typ: tar.TypeDir},
		entry{name: "deep/er/file", body: "implicit parents"},
	)
	if _, err := Apply(context.Background(), bytes.NewReader(raw), dst, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "d/a")); string(b) != "22" {
		t.Fatalf("later entry must win, got %q", b)
	}
	if fi, _ := os.Stat(filepath.Join(dst, "d")); fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v", fi.Mode())
	}
	if fi, _ := os.Stat(filepath.Join(dst, "x")); !fi.IsDir() {
		t.Fatal("dir must replace file")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "deep/er/file")); string(b) != "implicit parents" {
		t.Fatal("implicit parents not created")
	}
}

func TestOverlayWhiteouts(t *testing.T) {
	if !isRoot() {
		t.Skip("overlay whiteouts (0/0 device, trusted xattr) need root")
	}
	dst := t.TempDir()
	raw := mkTar(t,
		entry{name: "gone", typ: tar.TypeReg},
		entry{name: ".wh.gone"},
		entry{name: "dir/", typ: tar.TypeDir},
		entry{name: "dir/.wh..wh..opq"},
		entry{name: "dir/new", body: "n"},
		entry{name: ".wh..wh.plnk/1"},
	)
	if _, err := Apply(context.Background(), bytes.NewReader(raw), dst, ApplyOptions{SameOwner: true, AllowDevices: true}); err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(dst, "gone"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Fatalf("whiteout is not a 0/0 char device: %v %o %d", err, st.Mode, st.Rdev)
	}
	if !isOpaque(filepath.Join(dst, "dir")) {
		t.Fatal("dir not opaque")
	}
	if _, err := os.Lstat(filepath.Join(dst, ".wh..wh.plnk")); err == nil {
		t.Fatal("aufs metadata must be skipped")
	}
	// And back: the upper-dir form turns into OCI whiteouts again.
	var buf bytes.Buffer
	if _, err := Diff(context.Background(), &buf, dst, DiffOptions{}); err != nil {
		t.Fatal(err)
	}
	names := tarNames(t, buf.Bytes())
	want := []string{"dir/", "dir/.wh..wh..opq", "dir/new", ".wh.gone"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("diff names %v, want %v", names, want)
	}
}

func tarNames(t *testing.T, b []byte) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

func TestDeleteWhiteoutsOnMergedTree(t *testing.T) {
	dst := t.TempDir()
	base := mkTar(t,
		entry{name: "gone", body: "g"},
		entry{name: "usr/bin/", typ: tar.TypeDir},
		entry{name: "bin", typ: tar.TypeSymlink, link: "/usr/bin"},
		entry{name: "dir/a", body: "a"},
		entry{name: "dir/b", body: "b"},
	)
	top := mkTar(t,
		entry{name: ".wh.gone"},
		entry{name: "dir/", typ: tar.TypeDir},
		entry{name: "dir/c", body: "c"},
		entry{name: "dir/.wh..wh..opq"},
		entry{name: "bin/tool", body: "through an absolute symlink, kept in root"},
	)
	for _, l := range [][]byte{base, top} {
		if _, err := Apply(context.Background(), bytes.NewReader(l), dst, ApplyOptions{Whiteouts: DeleteWhiteouts}); err != nil {
			t.Fatal(err)
		}
	}
	got := snapshot(t, dst)
	var names []string
	for k := range got {
		names = append(names, k)
	}
	sort.Strings(names)
	want := "[bin dir dir/c usr usr/bin usr/bin/tool]"
	if fmt.Sprint(names) != want {
		t.Fatalf("got %v want %v", names, want)
	}
}

func TestDiffTrees(t *testing.T) {
	lower, upper := t.TempDir(), t.TempDir()
	old := time.Unix(1600000000, 0)
	for _, d := range []string{lower, upper} {
		os.MkdirAll(filepath.Join(d, "dir"), 0o755)
		for _, f := range []string{"same", "dir/keep"} {
			os.WriteFile(filepath.Join(d, f), []byte("x"), 0o644)
			os.Chtimes(filepath.Join(d, f), old, old)
		}
	}
	os.WriteFile(filepath.Join(lower, "deleted"), nil, 0o644)
	os.WriteFile(filepath.Join(lower, "dir/deleted"), nil, 0o644)
	os.WriteFile(filepath.Join(upper, "added"), []byte("new"), 0o644)
	os.WriteFile(filepath.Join(upper, "dir/keep"), []byte("changed"), 0o644)
	var buf bytes.Buffer
	if _, err := Diff(context.Background(), &buf, upper, DiffOptions{Lower: lower}); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(tarNames(t, buf.Bytes()))
	want := "[added dir/keep dir/.wh.deleted .wh.deleted]"
	if got != want {
		t.Fatalf("got %v want %v", got, want)
	}
}

// A 10 GB stream of zeros, compressed to a few MB: the bound must stop it
// long before the disk fills.
func TestGzipBombIsBounded(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		zw, _ := Compress(pw, Gzip)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: "zeros", Size: 10 << 30, Mode: 0o644, Typeflag: tar.TypeReg})
		zero := make([]byte, 1<<20)
		var err error
		for i := 0; i < 10<<10 && err == nil; i++ {
			_, err = tw.Write(zero)
		}
		pw.CloseWithError(err)
	}()
	dst := t.TempDir()
	_, err := Apply(context.Background(), pr, dst, ApplyOptions{Name: "bomb", MaxBytes: 64 << 20})
	pr.CloseWithError(io.ErrClosedPipe)
	if err == nil || !strings.Contains(err.Error(), "size limit") {
		t.Fatalf("want size limit error, got %v", err)
	}
	var total int64
	filepath.Walk(dst, func(_ string, fi fs.FileInfo, _ error) error {
		if fi != nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
		return nil
	})
	if total > 64<<20 {
		t.Fatalf("wrote %d bytes", total)
	}
	// A header that announces more than the bound is refused before writing.
	small := mkTar(t, entry{name: "f", body: strings.Repeat("a", 2048)})
	if _, err := Apply(context.Background(), bytes.NewReader(small), t.TempDir(), ApplyOptions{MaxBytes: 1024}); err == nil {
		t.Fatal("oversized entry accepted")
	}
}

func TestApplyDigestOfCompressed(t *testing.T) {
	raw := mkTar(t, entry{name: "a", body: "b"})
	z := gz(t, raw)
	ar, err := Apply(context.Background(), bytes.NewReader(z), t.TempDir(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ar.Digest != digest.FromBytes(z) || ar.DiffID != digest.FromBytes(raw) || ar.Compressed != int64(len(z)) {
		t.Fatalf("%+v", ar)
	}
}

func TestDevicesAndOwnersAsRoot(t *testing.T) {
	if !isRoot() {
		t.Skip("device nodes and chown need root")
	}
	dst := t.TempDir()
	raw := mkTar(t,
		entry{name: "dev/null", typ: tar.TypeChar, major: 1, minor: 3, mode: 0o666},
		entry{name: "dev/loop9", typ: tar.TypeBlock, major: 7, minor: 9, mode: 0o660},
		entry{name: "fifo", typ: tar.TypeFifo, mode: 0o600},
	)
	hdrOwner := mkTar(t, entry{name: "owned", body: "x", mode: 0o4755})
	for _, l := range [][]byte{raw, hdrOwner} {
		if _, err := Apply(context.Background(), bytes.NewReader(l), dst, ApplyOptions{SameOwner: true, AllowDevices: true}); err != nil {
			t.Fatal(err)
		}
	}
	var st unix.Stat_t
	if unix.Lstat(filepath.Join(dst, "dev/null"), &st); st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		t.Fatalf("char device: %o %d", st.Mode, st.Rdev)
	}
	if unix.Lstat(filepath.Join(dst, "dev/loop9"), &st); st.Mode&unix.S_IFMT != unix.S_IFBLK || unix.Minor(st.Rdev) != 9 {
		t.Fatalf("block device: %o", st.Mode)
	}
	if unix.Lstat(filepath.Join(dst, "fifo"), &st); st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Fatal("fifo")
	}
	if fi, _ := os.Stat(filepath.Join(dst, "owned")); fi.Mode()&os.ModeSetuid == 0 {
		t.Fatal("setuid bit lost (chmod must follow chown)")
	}
	// NoSetuid strips it.
	dst2 := t.TempDir()
	Apply(context.Background(), bytes.NewReader(hdrOwner), dst2, ApplyOptions{SameOwner: true, NoSetuid: true})
	if fi, _ := os.Stat(filepath.Join(dst2, "owned")); fi.Mode()&os.ModeSetuid != 0 {
		t.Fatal("NoSetuid kept the bit")
	}
}
