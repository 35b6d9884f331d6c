package store

import (
	"encoding/json"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxManifestBytes bounds manifests and indexes read from the store or the
// network; real ones are a few KiB.
const MaxManifestBytes = 4 << 20

// Docker schema2 media types the store must walk as well as OCI's.
const (
	dockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// Children returns the blobs a manifest or index references: config and
// layers, or sub-manifests. Other blobs have none. Sub-manifests of an index
// that are not stored (other platforms) are left out: the store keeps one
// platform's image, not the whole list.
func (s *Store) Children(desc ocispec.Descriptor) ([]ocispec.Descriptor, error) {
	switch desc.MediaType {
	case ocispec.MediaTypeImageManifest, dockerManifest:
		b, err := s.ReadBlob(desc.Digest, MaxManifestBytes)
		if err != nil {
			return nil, err
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("manifest %s: %w", desc.Digest, err)
		}
		return append([]ocispec.Descriptor{m.Config}, m.Layers...), nil
	case ocispec.MediaTypeImageIndex, dockerManifestList:
		b, err := s.ReadBlob(desc.Digest, MaxManifestBytes)
		if err != nil {
			return nil, err
		}
		var ix ocispec.Index
		if err := json.Unmarshal(b, &ix); err != nil {
			return nil, fmt.Errorf("index %s: %w", desc.Digest, err)
		}
		var out []ocispec.Descriptor
		for _, m := range ix.Manifests {
			if _, ok := s.HasBlob(m.Digest); ok {
				out = append(out, m)
			}
		}
		return out, nil
	}
	return nil, nil
}
