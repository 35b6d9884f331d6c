package engine

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/image"
	"berth/engine/layer"
	"berth/engine/store"
)

// StoredLayer is a layer blob in the store and its unpacked tree.
type StoredLayer struct {
	Desc   ocispec.Descriptor
	DiffID digest.Digest
}

// PutLayer streams one layer blob into the store and unpacks it under
// chainID in the same pass: digest check, decompress, diffID check, apply.
// expected and diffID may be empty when the source does not know them (an
// import); parent is the chainID below, "" for the first layer.
func (e *Engine) PutLayer(ctx context.Context, r io.Reader, expected, diffID, parent digest.Digest, name string) (StoredLayer, error) {
	w, err := e.Store.NewIngest()
	if err != nil {
		return StoredLayer{}, err
	}
	defer w.Abort()
	tmp, err := e.Store.TempDir("unpack-")
	if err != nil {
		return StoredLayer{}, err
	}
	defer os.RemoveAll(tmp)
	diff := filepath.Join(tmp, "diff")
	if err := os.Mkdir(diff, 0o755); err != nil {
		return StoredLayer{}, fmt.Errorf("layer %s: %w", name, err)
	}
	res, err := layer.Apply(ctx, io.TeeReader(r, w), diff, e.applyOptions(name))
	if err != nil {
		return StoredLayer{}, err
	}
	if diffID != "" && res.DiffID != diffID {
		return StoredLayer{}, fmt.Errorf("layer %s: content has diffID %s, image config says %s", name, res.DiffID, diffID)
	}
	blob, err := w.Commit(expected)
	if err != nil {
		return StoredLayer{}, fmt.Errorf("layer %s: %w", name, err)
	}
	chain := res.DiffID
	if parent != "" {
		chain = image.ChainID([]digest.Digest{parent, res.DiffID})
	}
	mt := layerMediaType(res.Compression)
	if _, ok := e.Store.Layer(chain); !ok {
		li := store.LayerInfo{ChainID: chain, DiffID: res.DiffID, Size: res.Size, Blob: blob, MediaType: mt}
		if err := e.Store.CommitLayer(tmp, li); err != nil {
			return StoredLayer{}, err
		}
	}
	return StoredLayer{
		Desc:   ocispec.Descriptor{MediaType: mt, Digest: blob, Size: res.Compressed},
		DiffID: res.DiffID,
	}, nil
}

// haveLayer reports whether both the blob and the unpacked tree exist, so a
// load or pull can skip the layer entirely.
func (e *Engine) haveLayer(blob, chainID digest.Digest) bool {
	if _, ok := e.Store.HasBlob(blob); !ok {
		return false
	}
	_, ok := e.Store.Layer(chainID)
	return ok
}

func layerMediaType(c layer.Compression) string {
	switch c {
	case layer.Gzip:
		return ocispec.MediaTypeImageLayerGzip
	case layer.Zstd:
		return ocispec.MediaTypeImageLayerZstd
	}
	return ocispec.MediaTypeImageLayer
}

// CommitUpper turns a finished build step's overlay upper directory into a
// layer without unpacking anything again: the tar is written from
// dir/upper into the store, and dir (from Store.TempDir) itself becomes the
// unpacked layer. skip leaves out mount-point stubs. ok is false, with nothing
// stored, when the step changed no file.
func (e *Engine) CommitUpper(ctx context.Context, dir string, parent digest.Digest, skip func(rel string) bool) (l StoredLayer, chain digest.Digest, ok bool, err error) {
	w, err := e.Store.NewIngest()
	if err != nil {
		return l, "", false, err
	}
	defer w.Abort()
	upper := filepath.Join(dir, "upper")
	res, err := layer.Diff(ctx, w, upper, layer.DiffOptions{Compression: layer.Gzip, Skip: skip})
	if err != nil {
		return l, "", false, err
	}
	if res.Size <= emptyTarSize {
		return l, "", false, nil
	}
	blob, err := w.Commit(res.Digest)
	if err != nil {
		return l, "", false, err
	}
	chain = res.DiffID
	if parent != "" {
		chain = image.ChainID([]digest.Digest{parent, res.DiffID})
	}
	if skip != nil {
		// The unpacked tree must hold what the tar holds, no stubs.
		filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			rel, _ := filepath.Rel(upper, p)
			if rel != "." && skip(filepath.ToSlash(rel)) {
				os.RemoveAll(p)
				if d.IsDir() {
					return filepath.SkipDir
				}
			}
			return nil
		})
	}
	mt := layerMediaType(layer.Gzip)
	if _, ok := e.Store.Layer(chain); !ok {
		if err := os.Rename(upper, filepath.Join(dir, "diff")); err != nil {
			return l, "", false, err
		}
		li := store.LayerInfo{ChainID: chain, DiffID: res.DiffID, Size: res.Size, Blob: blob, MediaType: mt}
		if err := e.Store.CommitLayer(dir, li); err != nil {
			return l, "", false, err
		}
	}
	return StoredLayer{Desc: ocispec.Descriptor{MediaType: mt, Digest: blob, Size: res.Compressed}, DiffID: res.DiffID}, chain, true, nil
}

// emptyTarSize is a tar with no entries: its two zero end blocks.
const emptyTarSize = 1024
