package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// listTree returns every path under root with its size, for "nothing changed
// outside the target" checks.
func listTree(t *testing.T, root, skip string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	filepath.Walk(root, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if p == skip {
			return filepath.SkipDir
		}
		out[p] = fi.Size()
		return nil
	})
	return out
}

func TestHostileLayers(t *testing.T) {
	sandbox := t.TempDir()
	victim := filepath.Join(sandbox, "victim")
	os.MkdirAll(victim, 0o755)
	os.WriteFile(filepath.Join(victim, "shadow"), []byte("secret"), 0o600)
	cases := []struct {
		name    string
		ents    []entry
		wantErr string
		wantAt  string
	}{
		{"dotdot", []entry{{name: "../../victim/evil", body: "x"}}, "escapes", "../../victim/evil"},
		{"dotdot-inner", []entry{{name: "a/../../victim/evil", body: "x"}}, "escapes", "a/../../victim/evil"},
		{"absolute", []entry{{name: victim + "/evil", body: "x"}}, "absolute", victim + "/evil"},
		{"symlink-then-file", []entry{
			{name: "up", typ: tar.TypeSymlink, link: "../victim"},
			{name: "up/evil", body: "x"}}, "escapes", "up/evil"},
		{"absolute-symlink-then-file", []entry{
			{name: "abs", typ: tar.TypeSymlink, link: victim},
			{name: "abs/evil", body: "x"}}, "escapes", "abs/evil"},
		{"root-symlink-then-dir", []entry{
			{name: "r", typ: tar.TypeSymlink, link: "/"},
			{name: "r/tmp/evil/", typ: tar.TypeDir}}, "escapes", "r/tmp/evil/"},
		{"hardlink-outside", []entry{
			{name: "h", typ: tar.TypeLink, link: "../victim/shadow"}}, "escapes", "h"},
		{"hardlink-absolute", []entry{
			{name: "h", typ: tar.TypeLink, link: "/etc/shadow"}}, "absolute", "h"},
		{"hardlink-through-symlink", []entry{
			{name: "s", typ: tar.TypeSymlink, link: victim},
			{name: "h", typ: tar.TypeLink, link: "s/shadow"}}, "escapes", "h"},
		{"hardlink-to-symlink-then-write", []entry{
			{name: "s", typ: tar.TypeSymlink, link: victim + "/shadow"},
			{name: "h", typ: tar.TypeLink, link: "s"},
			{name: "h/x", body: "x"}}, "", "h/x"},
		{"device", []entry{{name: "dev/sda", typ: tar.TypeBlock, major: 8}}, "device node not allowed", "dev/sda"},
		{"char-device", []entry{{name: "mem", typ: tar.TypeChar, major: 1, minor: 1}}, "device node not allowed", "mem"},
		{"whiteout-escape", []entry{{name: "../.wh.victim"}}, "escapes", "../.wh.victim"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := filepath.Join(sandbox, "targets", c.name)
			os.MkdirAll(target, 0o755)
			before := listTree(t, sandbox, filepath.Join(sandbox, "targets"))
			_, err := Apply(context.Background(), bytes.NewReader(mkTar(t, c.ents...)), target,
				ApplyOptions{Name: "sha256:hostile", SameOwner: isRoot()})
			if err == nil {
				t.Fatal("hostile layer applied without error")
			}
			msg := err.Error()
			if !strings.Contains(msg, "sha256:hostile") || !strings.Contains(msg, c.wantAt) || !strings.Contains(msg, c.wantErr) {
				t.Fatalf("error %q must name the layer, %q and %q", msg, c.wantAt, c.wantErr)
			}
			after := listTree(t, sandbox, filepath.Join(sandbox, "targets"))
			if len(before) != len(after) {
				t.Fatalf("files outside the target changed: %v -> %v", before, after)
			}
			for p, n := range before {
				if after[p] != n {
					t.Fatalf("%s changed", p)
				}
			}
			if b, _ := os.ReadFile(filepath.Join(victim, "shadow")); string(b) != "secret" {
				t.Fatal("victim changed")
			}
		})
	}
}
