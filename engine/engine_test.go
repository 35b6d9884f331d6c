package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"

	"berth/engine/archive"
	"berth/internal/fixture"
)

var ctx = context.Background()

func newEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func load(t *testing.T, e *Engine, path string) []Loaded {
	t.Helper()
	l, err := e.Load(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// storeState fingerprints everything a failed operation must leave alone.
func storeState(t *testing.T, e *Engine) string {
	t.Helper()
	ix, _ := os.ReadFile(e.Store.Path("images.json"))
	blobs, _ := e.Store.Blobs()
	layers, _ := e.Store.Layers()
	var ls []string
	for _, l := range layers {
		ls = append(ls, l.ChainID.String())
	}
	sort.Strings(ls)
	return string(ix) + "|" + strings.Join(ls, ",") + "|" + digest.FromString(strings.Join(strings.Fields(strings.Trim(strings.Join(toStrings(blobs), " "), " ")), " ")).String()
}

func toStrings(ds []digest.Digest) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	sort.Strings(out)
	return out
}

func TestLoadBusyboxLayout(t *testing.T) {
	e := newEngine(t)
	got := load(t, e, fixture.BusyboxLayout(t))
	if len(got) != 1 || len(got[0].Refs) != 1 || got[0].Refs[0] != fixture.BusyboxRef {
		t.Fatalf("loaded %+v", got)
	}
	imgs, err := e.Images(ctx)
	if err != nil || len(imgs) != 1 || imgs[0].Size < 1<<20 {
		t.Fatalf("images %+v %v", imgs, err)
	}
	im, err := e.ResolveImage(ctx, "busybox")
	if err != nil {
		t.Fatal(err)
	}
	dir := e.Store.LayerDir(im.ChainIDs()[0])
	if fi, err := os.Stat(filepath.Join(dir, "bin/busybox")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("busybox not unpacked: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin/sh")); err != nil {
		t.Fatal("applet link missing")
	}
	for _, name := range []string{"busybox:latest", "docker.io/library/busybox", im.ID.String(), ShortID(im.ID), "busybox@" + im.Manifest.Digest.String()} {
		if r, err := e.ResolveImage(ctx, name); err != nil || r.ID != im.ID {
			t.Errorf("resolve %q: %v", name, err)
		}
	}
	if _, err := e.ResolveImage(ctx, "nothere"); !errors.Is(err, ErrImageNotFound) {
		t.Errorf("missing image: %v", err)
	}
	// Loading again changes nothing.
	before := storeState(t, e)
	load(t, e, fixture.BusyboxLayout(t))
	if storeState(t, e) != before {
		t.Fatal("second load changed the store")
	}
}

func TestSaveLoadRoundTrips(t *testing.T) {
	src := newEngine(t)
	load(t, src, fixture.LayersLayout(t))
	orig, _ := src.ResolveImage(ctx, "berth/layers")
	for _, f := range []archive.Format{archive.Docker, archive.OCI, archive.OCIDir} {
		t.Run(string(f), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
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
			if err := src.Save(ctx, sink, []string{"berth/layers"}, f); err != nil {
				t.Fatal(err)
			}
			dst := newEngine(t)
			got := load(t, dst, out)
			if len(got) != 1 || got[0].ID != orig.ID || len(got[0].Refs) != 1 || got[0].Refs[0] != fixture.LayersRef {
				t.Fatalf("loaded %+v, want %s %s", got, orig.ID, fixture.LayersRef)
			}
			im, _ := dst.ResolveImage(ctx, "berth/layers")
			if f != archive.Docker && im.Manifest.Digest != orig.Manifest.Digest {
				t.Fatalf("OCI round trip changed the manifest digest: %s -> %s", orig.Manifest.Digest, im.Manifest.Digest)
			}
			top := dst.Store.LayerDir(im.ChainIDs()[2])
			if b, err := os.ReadFile(filepath.Join(top, "opt/app/c")); err != nil || string(b) != "c\n" {
				t.Fatalf("top layer content: %v", err)
			}
		})
	}
}

func TestOverlayWhiteoutsOnLoad(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("overlay whiteouts need root")
	}
	e := newEngine(t)
	load(t, e, fixture.LayersLayout(t))
	im, _ := e.ResolveImage(ctx, "berth/layers")
	top := e.Store.LayerDir(im.ChainIDs()[2])
	fi, err := os.Lstat(filepath.Join(top, "etc/motd"))
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("etc/motd should be a whiteout device: %v %v", fi, err)
	}
}

func TestImportTagRemovePrune(t *testing.T) {
	e := newEngine(t)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi"))
	tw.Close()
	id, err := e.Import(ctx, &buf, ImportOptions{Ref: "imported:v1", Source: "rootfs.tar"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := e.History(ctx, "imported:v1")
	if err != nil || len(h) != 1 || h[0].ID != id.String() || !strings.Contains(h[0].CreatedBy, "rootfs.tar") {
		t.Fatalf("history %+v %v", h, err)
	}
	if err := e.Tag(ctx, "imported:v1", "other/name:two"); err != nil {
		t.Fatal(err)
	}
	if err := e.Tag(ctx, "imported:v1", "Bad Name"); err == nil {
		t.Fatal("bad tag accepted")
	}
	// Two names: removing by ID needs -f; by name only untags.
	if _, err := e.RemoveImage(ctx, ShortID(id), false); err == nil {
		t.Fatal("removed an image with two names by ID without force")
	}
	res, err := e.RemoveImage(ctx, "imported:v1", false)
	if err != nil || len(res) != 1 || res[0].Untagged == "" {
		t.Fatalf("untag: %+v %v", res, err)
	}
	// A container record keeps the image.
	os.MkdirAll(e.Store.Path("containers", "c1"), 0o755)
	rec, _ := json.Marshal(containerImageRef{ID: "c1", ImageID: id})
	os.WriteFile(e.Store.Path("containers", "c1", ContainerRecordFile), rec, 0o644)
	if _, err := e.RemoveImage(ctx, "other/name:two", false); err == nil || !strings.Contains(err.Error(), "container") {
		t.Fatalf("image in use removed: %v", err)
	}
	os.RemoveAll(e.Store.Path("containers"))
	res, err = e.RemoveImage(ctx, "other/name:two", false)
	if err != nil || res[len(res)-1].Deleted != id {
		t.Fatalf("delete: %+v %v", res, err)
	}
	if blobs, _ := e.Store.Blobs(); len(blobs) != 0 {
		t.Fatalf("blobs left after removing the only image: %v", blobs)
	}
	if ls, _ := e.Store.Layers(); len(ls) != 0 {
		t.Fatalf("layers left: %v", ls)
	}
}

func TestPruneDangling(t *testing.T) {
	e := newEngine(t)
	load(t, e, fixture.BusyboxLayout(t))
	load(t, e, fixture.LayersLayout(t))
	// Move busybox's name to the layers image: busybox becomes dangling.
	if err := e.Tag(ctx, "berth/layers", "busybox"); err != nil {
		t.Fatal(err)
	}
	imgs, _ := e.Images(ctx)
	if len(imgs) != 2 {
		t.Fatalf("want the old busybox kept as dangling: %d images", len(imgs))
	}
	ids, freed, err := e.PruneImages(ctx, false)
	if err != nil || len(ids) != 1 || freed <= 0 {
		t.Fatalf("prune %v %d %v", ids, freed, err)
	}
	imgs, _ = e.Images(ctx)
	if len(imgs) != 1 {
		t.Fatalf("after prune: %d images", len(imgs))
	}
	// The busybox base layer is shared with berth/layers: still there.
	im, _ := e.ResolveImage(ctx, "busybox")
	if _, ok := e.Store.Layer(im.ChainIDs()[0]); !ok {
		t.Fatal("prune removed a shared layer")
	}
	if errs := e.Store.Check(); len(errs) > 0 {
		t.Fatal(errs)
	}
}
