package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBlobVerifiedOnWrite(t *testing.T) {
	s := open(t)
	d, n, err := s.PutBlob(strings.NewReader("hello"), digest.FromString("hello"))
	if err != nil || n != 5 || d != digest.FromString("hello") {
		t.Fatalf("put: %v %d %s", err, n, d)
	}
	wrong := digest.FromString("other")
	if _, _, err := s.PutBlob(strings.NewReader("hello!"), wrong); err == nil || !strings.Contains(err.Error(), wrong.String()) {
		t.Fatalf("mismatch must fail naming the digest: %v", err)
	}
	if _, ok := s.HasBlob(wrong); ok {
		t.Fatal("mismatched blob stored")
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), ingestDir)); len(ents) != 0 {
		t.Fatalf("ingest left behind: %v", ents)
	}
	if _, err := s.OpenBlob(wrong); !errors.Is(err, ErrBlobNotFound) {
		t.Fatalf("open missing: %v", err)
	}
	// A blob corrupted on disk is caught when read as metadata.
	os.WriteFile(s.BlobPath(d), []byte("HELLO"), 0o644)
	if _, err := s.ReadBlob(d, 100); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("corrupt read: %v", err)
	}
}

// putImage stores a minimal manifest with one config and one layer blob.
func putImage(t testing.TB, s *Store, seed string) ocispec.Descriptor {
	t.Helper()
	cfg, _ := json.Marshal(ocispec.Image{RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromString("layer" + seed)}}})
	cd, err := s.PutBytes(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ld, err := s.PutBytes([]byte("layer" + seed))
	if err != nil {
		t.Fatal(err)
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cd, Size: int64(len(cfg))},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayer, Digest: ld, Size: int64(len("layer" + seed))}}}
	m.SchemaVersion = 2
	mb, _ := json.Marshal(m)
	md, err := s.PutBytes(mb)
	if err != nil {
		t.Fatal(err)
	}
	return ocispec.Descriptor{MediaType: m.MediaType, Digest: md, Size: int64(len(mb))}
}

func TestIndexTagsAndDangling(t *testing.T) {
	s := open(t)
	a, b := putImage(t, s, "a"), putImage(t, s, "b")
	err := s.UpdateIndex(func(ix *Index) error {
		ix.Set("docker.io/library/x:1", a)
		ix.Set("docker.io/library/x:latest", a)
		ix.Set("docker.io/library/x:latest", b) // a keeps x:1
		ix.Set("docker.io/library/x:1", b)      // a loses its last name: dangling
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ix, _ := s.ReadIndex()
	if got := ix.RefsOf(b.Digest); len(got) != 2 {
		t.Fatalf("b refs %v", got)
	}
	if !ix.Has(a.Digest) || len(ix.RefsOf(a.Digest)) != 0 {
		t.Fatal("a must stay as a dangling entry")
	}
	s.UpdateIndex(func(ix *Index) error { ix.Set("docker.io/library/y:1", a); return nil })
	ix, _ = s.ReadIndex()
	if n := len(ix.Manifests); n != 3 {
		t.Fatalf("naming a dangling image must replace its entry: %d entries", n)
	}
}

func TestIndexRefusesMissingBlobs(t *testing.T) {
	s := open(t)
	d := putImage(t, s, "a")
	ix0, _ := os.ReadFile(filepath.Join(s.Root(), indexFile))
	// Remove the layer blob: the manifest can no longer be named.
	children, _ := s.Children(d)
	os.Remove(s.BlobPath(children[1].Digest))
	err := s.UpdateIndex(func(ix *Index) error { ix.Set("docker.io/library/x:1", d); return nil })
	if err == nil || !errors.Is(err, ErrBlobNotFound) {
		t.Fatalf("want missing blob error, got %v", err)
	}
	ix1, _ := os.ReadFile(filepath.Join(s.Root(), indexFile))
	if !bytes.Equal(ix0, ix1) {
		t.Fatal("index changed by a refused update")
	}
}

func TestGCKeepsReferencedAndRoots(t *testing.T) {
	s := open(t)
	kept, gone := putImage(t, s, "kept"), putImage(t, s, "gone")
	s.UpdateIndex(func(ix *Index) error { ix.Set("docker.io/library/k:1", kept); return nil })
	mkLayer := func(chain digest.Digest) {
		dir, _ := s.TempDir("unpack-")
		os.MkdirAll(filepath.Join(dir, "diff"), 0o755)
		os.WriteFile(filepath.Join(dir, "diff", "f"), []byte("x"), 0o644)
		if err := s.CommitLayer(dir, LayerInfo{ChainID: chain, DiffID: chain}); err != nil {
			t.Fatal(err)
		}
	}
	keptChain, rootChain, orphan := digest.FromString("layerkept"), digest.FromString("container"), digest.FromString("orphan")
	for _, c := range []digest.Digest{keptChain, rootChain, orphan} {
		mkLayer(c)
	}
	w, _ := s.NewIngest()
	w.Write([]byte("partial download"))
	res, err := s.GC(func() (GCRoots, error) { return GCRoots{Layers: []digest.Digest{rootChain}}, nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.HasBlob(kept.Digest); !ok {
		t.Fatal("referenced manifest collected")
	}
	if _, ok := s.HasBlob(gone.Digest); ok {
		t.Fatal("unreferenced manifest kept")
	}
	for c, want := range map[digest.Digest]bool{keptChain: true, rootChain: true, orphan: false} {
		if _, ok := s.Layer(c); ok != want {
			t.Errorf("layer %s present=%v want %v", c, ok, want)
		}
	}
	if res.Blobs != 3 || res.Layers != 1 || res.Bytes == 0 {
		t.Fatalf("result %+v", res)
	}
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), ingestDir)); len(ents) != 0 {
		t.Fatal("ingest leftovers kept")
	}
	if errs := s.Check(); len(errs) != 0 {
		t.Fatal(errs)
	}
}

func TestLeaseBlocksGC(t *testing.T) {
	s := open(t)
	release, err := s.Lease()
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.PutBytes([]byte("not yet referenced"))
	done := make(chan struct{})
	go func() { s.GC(nil); close(done) }()
	select {
	case <-done:
		t.Fatal("GC ran while a writer held a lease")
	default:
	}
	if _, ok := s.HasBlob(d); !ok {
		t.Fatal("leased blob collected")
	}
	release()
	<-done
	if _, ok := s.HasBlob(d); ok {
		t.Fatal("GC did not run after the lease ended")
	}
}

func TestCommitLayerTwice(t *testing.T) {
	s := open(t)
	chain := digest.FromString("c")
	for i := 0; i < 2; i++ {
		dir, _ := s.TempDir("unpack-")
		os.Mkdir(filepath.Join(dir, "diff"), 0o755)
		if err := s.CommitLayer(dir, LayerInfo{ChainID: chain, DiffID: chain, Size: 1}); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	if ls, _ := s.Layers(); len(ls) != 1 {
		t.Fatalf("layers %v", ls)
	}
}
