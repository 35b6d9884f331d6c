package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/image"
	"berth/engine/layer"
	"berth/engine/store"
)

// storedLayer is a layer blob in the store and its unpacked tree.
type storedLayer struct {
	Desc   ocispec.Descriptor
	DiffID digest.Digest
}

// putLayer streams one layer blob into the store and unpacks it under
// chainID in the same pass: digest check, decompress, diffID check, apply.
// expected and diffID may be empty when the source does not know them (an
// import); parent is the chainID below, "" for the first layer.
func (e *Engine) putLayer(ctx context.Context, r io.Reader, expected, diffID, parent digest.Digest, name string) (storedLayer, error) {
	w, err := e.Store.NewIngest()
	if err != nil {
		return storedLayer{}, err
	}
	defer w.Abort()
	tmp, err := e.Store.TempDir("unpack-")
	if err != nil {
		return storedLayer{}, err
	}
	defer os.RemoveAll(tmp)
	diff := filepath.Join(tmp, "diff")
	if err := os.Mkdir(diff, 0o755); err != nil {
		return storedLayer{}, fmt.Errorf("layer %s: %w", name, err)
	}
	res, err := layer.Apply(ctx, io.TeeReader(r, w), diff, e.applyOptions(name))
	if err != nil {
		return storedLayer{}, err
	}
	if diffID != "" && res.DiffID != diffID {
		return storedLayer{}, fmt.Errorf("layer %s: content has diffID %s, image config says %s", name, res.DiffID, diffID)
	}
	blob, err := w.Commit(expected)
	if err != nil {
		return storedLayer{}, fmt.Errorf("layer %s: %w", name, err)
	}
	chain := res.DiffID
	if parent != "" {
		chain = image.ChainID([]digest.Digest{parent, res.DiffID})
	}
	mt := layerMediaType(res.Compression)
	if _, ok := e.Store.Layer(chain); !ok {
		li := store.LayerInfo{ChainID: chain, DiffID: res.DiffID, Size: res.Size, Blob: blob, MediaType: mt}
		if err := e.Store.CommitLayer(tmp, li); err != nil {
			return storedLayer{}, err
		}
	}
	return storedLayer{
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
