package engine

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/archive"
	"berth/internal/fixture"
)

// dockerArchive writes a docker-archive with one image of the given layer
// tars; diffIDs are computed from the layers unless given.
func dockerArchive(t *testing.T, layers [][]byte, diffIDs []digest.Digest) string {
	t.Helper()
	if diffIDs == nil {
		for _, l := range layers {
			diffIDs = append(diffIDs, digest.FromBytes(l))
		}
	}
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}})
	p := filepath.Join(t.TempDir(), "a.tar")
	f, _ := os.Create(p)
	defer f.Close()
	sink := archive.NewTarSink(f)
	sink.Add("cfg.json", int64(len(cfg)), bytes.NewReader(cfg))
	ent := archive.DockerEntry{Config: "cfg.json", RepoTags: []string{"bad:input"}}
	for i, l := range layers {
		name := string(rune('a'+i)) + "/layer.tar"
		sink.Add(name, int64(len(l)), bytes.NewReader(l))
		ent.Layers = append(ent.Layers, name)
	}
	mb, _ := json.Marshal([]archive.DockerEntry{ent})
	sink.Add("manifest.json", int64(len(mb)), bytes.NewReader(mb))
	sink.Close()
	return p
}

func oneFileTar(name, body string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
	tw.Write([]byte(body))
	tw.Close()
	return b.Bytes()
}

func TestBadLoadsLeaveStoreUnchanged(t *testing.T) {
	e := newEngine(t)
	load(t, e, fixture.BusyboxLayout(t))
	good := oneFileTar("ok", "fine")
	cases := map[string]struct {
		path string
		want []string
	}{
		"traversal": {dockerArchive(t, [][]byte{good, oneFileTar("../../escape", "x")}, nil), []string{"b/layer.tar", "../../escape", "escapes"}},
		"diffid":    {dockerArchive(t, [][]byte{good}, []digest.Digest{digest.FromString("other")}), []string{"a/layer.tar", "diffID"}},
		"not-tar":   {func() string { p := filepath.Join(t.TempDir(), "x"); os.WriteFile(p, []byte("hello"), 0o644); return p }(), []string{"not a tar archive"}},
		"missing":   {"/nonexistent/file.tar", []string{"/nonexistent/file.tar"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			before := storeState(t, e)
			_, err := e.Load(ctx, c.path)
			if err == nil {
				t.Fatal("bad archive loaded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("error is not one line: %q", err)
			}
			e.GC(ctx)
			if storeState(t, e) != before {
				t.Fatal("failed load changed the store")
			}
			if _, err := e.ResolveImage(ctx, "bad:input"); err == nil {
				t.Fatal("image of a failed load is visible")
			}
		})
	}
}

func TestOCILayoutWithWrongBlob(t *testing.T) {
	dir := fixture.BusyboxLayout(t)
	ix, _ := archive.ReadOCIIndex(mustSource(t, dir))
	mb, _ := os.ReadFile(filepath.Join(dir, archive.BlobPath(ix.Manifests[0].Digest)))
	var m ocispec.Manifest
	json.Unmarshal(mb, &m)
	// Same size, different bytes: the digest check must catch it.
	lp := filepath.Join(dir, archive.BlobPath(m.Layers[0].Digest))
	b, _ := os.ReadFile(lp)
	b[len(b)/2] ^= 0xff
	os.WriteFile(lp, b, 0o644)
	e := newEngine(t)
	_, err := e.Load(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), m.Layers[0].Digest.String()) {
		t.Fatalf("corrupt layer: %v", err)
	}
	if imgs, _ := e.Images(ctx); len(imgs) != 0 {
		t.Fatal("image visible after failed load")
	}
}

func mustSource(t *testing.T, p string) archive.Source {
	s, err := archive.OpenSource(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
