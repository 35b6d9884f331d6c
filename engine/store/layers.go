package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
)

// LayerInfo describes an unpacked layer, keyed by its chainID.
type LayerInfo struct {
	ChainID digest.Digest `json:"chainID"`
	DiffID  digest.Digest `json:"diffID"`
	// Size is the uncompressed tar size: what a docker-archive save writes.
	Size int64 `json:"size"`
	// Blob is the compressed blob it was unpacked from, when known.
	Blob      digest.Digest `json:"blob,omitempty"`
	MediaType string        `json:"mediaType,omitempty"`
}

const layerMeta = "layer.json"

// LayerDir is the unpacked tree of chainID, usable as an overlay lowerdir.
func (s *Store) LayerDir(chainID digest.Digest) string {
	return filepath.Join(s.root, layersDir, chainID.Encoded(), "diff")
}

// Layer returns the unpacked layer chainID, if present.
func (s *Store) Layer(chainID digest.Digest) (LayerInfo, bool) {
	if chainID.Validate() != nil {
		return LayerInfo{}, false
	}
	b, err := os.ReadFile(filepath.Join(s.root, layersDir, chainID.Encoded(), layerMeta))
	if err != nil {
		return LayerInfo{}, false
	}
	var li LayerInfo
	if json.Unmarshal(b, &li) != nil || li.ChainID != chainID {
		return LayerInfo{}, false
	}
	return li, true
}

// CommitLayer moves a finished unpack into layers/. dir must come from
// TempDir and hold the tree in dir/diff. If another process committed the
// same chainID first, dir is discarded: both trees are the same content.
func (s *Store) CommitLayer(dir string, li LayerInfo) error {
	b, err := json.Marshal(li)
	if err != nil {
		return fmt.Errorf("layer %s: %w", li.ChainID, err)
	}
	if err := os.WriteFile(filepath.Join(dir, layerMeta), b, 0o644); err != nil {
		return fmt.Errorf("layer %s: %w", li.ChainID, err)
	}
	dst := filepath.Join(s.root, layersDir, li.ChainID.Encoded())
	if err := os.Rename(dir, dst); err != nil {
		if _, ok := s.Layer(li.ChainID); ok {
			return os.RemoveAll(dir)
		}
		return fmt.Errorf("layer %s: %w", li.ChainID, err)
	}
	return nil
}

// Layers lists every unpacked layer.
func (s *Store) Layers() ([]LayerInfo, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, layersDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list layers: %w", err)
	}
	var out []LayerInfo
	for _, e := range ents {
		if li, ok := s.Layer(digest.NewDigestFromEncoded(digest.SHA256, e.Name())); ok {
			out = append(out, li)
		}
	}
	return out, nil
}
