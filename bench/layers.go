package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var _ = sha256.New // go-digest needs sha256 registered

// layerRows: unpacking a gzip layer and writing one from a tree.
func layerRows(bin, w string, mb int) []row {
	tree := filepath.Join(w, "tree")
	gz := filepath.Join(w, "layer.tar.gz")
	layout := filepath.Join(w, "layout")
	out := filepath.Join(w, "out")
	made := false
	prepare := func() error {
		if made {
			return nil
		}
		made = true
		if err := makeTree(tree, mb); err != nil {
			return err
		}
		// The peer's own gzip makes the shared input, so no tool gets a
		// layer shaped for it.
		if b, err := exec.Command("tar", "-czf", gz, "-C", tree, ".").CombinedOutput(); err != nil {
			return fmt.Errorf("tar -czf: %v: %s", err, b)
		}
		return makeLayout(layout, gz)
	}
	resetOut := func() error {
		os.RemoveAll(out)
		return os.MkdirAll(out, 0o755)
	}
	return []row{
		{
			name:  fmt.Sprintf("layer apply %dMB gzip", mb),
			setup: prepare,
			reset: resetOut,
			berth: []string{bin, "__layer", "apply", gz, out},
			peers: map[string][]string{
				"tar -xzf":     {"tar", "-xzf", gz, "-C", out},
				"umoci unpack": {"sh", "-c", "rm -rf " + out + " && umoci unpack --image " + layout + ":latest " + out},
			},
		},
		{
			name:  fmt.Sprintf("layer write %dMB tree", mb),
			setup: prepare,
			reset: func() error { os.Remove(out + ".tgz"); return nil },
			berth: []string{bin, "__layer", "diff", tree, out + ".tgz"},
			peers: map[string][]string{"tar -czf": {"tar", "-czf", out + ".tgz", "-C", tree, "."}},
		},
	}
}

// makeTree writes about mb megabytes in files of 4 KB to 1 MB: two thirds
// text-like (compressible), one third random, as real layers mix both.
func makeTree(root string, mb int) error {
	rnd := rand.New(rand.NewSource(42))
	words := []string{"container", "layer", "berth", "image", "digest", "overlay", "func", "return", "if err != nil", "{", "}", "\n"}
	total := int64(mb) << 20
	var written int64
	for i := 0; written < total; i++ {
		dir := filepath.Join(root, fmt.Sprintf("d%02d/s%02d", i%37, i%11))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		size := int64(4<<10 + rnd.Intn(1<<20))
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%05d", i)))
		if err != nil {
			return err
		}
		bw := bufio.NewWriter(f)
		if i%3 == 0 {
			buf := make([]byte, size)
			rnd.Read(buf)
			bw.Write(buf)
		} else {
			for n := int64(0); n < size; {
				k, _ := bw.WriteString(words[rnd.Intn(len(words))] + " ")
				n += int64(k)
			}
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		fi, _ := f.Stat()
		written += fi.Size()
		f.Close()
	}
	return nil
}

// makeLayout wraps the layer in a one-layer OCI image for umoci.
func makeLayout(dir, gz string) error {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}
	f, err := os.Open(gz)
	if err != nil {
		return err
	}
	ld, err := digest.FromReader(f)
	f.Close()
	if err != nil {
		return err
	}
	fi, _ := os.Stat(gz)
	if err := os.Link(gz, filepath.Join(blobs, ld.Encoded())); err != nil {
		return err
	}
	diffID, err := exec.Command("sh", "-c", "gzip -dc "+gz+" | sha256sum | cut -d' ' -f1").Output()
	if err != nil {
		return err
	}
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.Digest("sha256:" + string(diffID[:64]))}}})
	put := func(b []byte) (digest.Digest, error) {
		d := digest.FromBytes(b)
		return d, os.WriteFile(filepath.Join(blobs, d.Encoded()), b, 0o644)
	}
	cd, err := put(cfg)
	if err != nil {
		return err
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cd, Size: int64(len(cfg))},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: ld, Size: fi.Size()}}}
	m.SchemaVersion = 2
	mb, _ := json.Marshal(m)
	md, err := put(mb)
	if err != nil {
		return err
	}
	ix := ocispec.Index{Manifests: []ocispec.Descriptor{{MediaType: m.MediaType, Digest: md, Size: int64(len(mb)),
		Annotations: map[string]string{ocispec.AnnotationRefName: "latest"}}}}
	ix.SchemaVersion = 2
	ib, _ := json.Marshal(ix)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), ib, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}
