package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzApply feeds arbitrary bytes as a layer; whatever they are, nothing may
// appear beside the target directory.
func FuzzApply(f *testing.F) {
	f.Add(mkTar(f, entry{name: "a/b", body: "x"}, entry{name: "l", typ: tar.TypeSymlink, link: "../x"}, entry{name: "l/y", body: "y"}))
	f.Add(mkTar(f, entry{name: "h", typ: tar.TypeLink, link: "../../etc/passwd"}))
	f.Add(gz(f, mkTar(f, entry{name: ".wh.x"}, entry{name: "d/.wh..wh..opq"})))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		box := t.TempDir()
		target := filepath.Join(box, "target")
		os.Mkdir(target, 0o755)
		Apply(context.Background(), bytes.NewReader(data), target, ApplyOptions{Name: "fuzz", MaxBytes: 1 << 20, Whiteouts: KeepWhiteouts})
		ents, _ := os.ReadDir(box)
		if len(ents) != 1 {
			t.Fatalf("apply wrote beside its target: %v", ents)
		}
	})
}
