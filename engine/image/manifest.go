package image

import (
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxManifestBytes bounds manifests, indexes and configs: real ones are KiBs.
const MaxManifestBytes = 4 << 20

// ParseManifest decodes and validates an image manifest.
func ParseManifest(b []byte) (*ocispec.Manifest, error) {
	if len(b) > MaxManifestBytes {
		return nil, fmt.Errorf("manifest: %d bytes is over the %d byte limit", len(b), MaxManifestBytes)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("manifest: unsupported schemaVersion %d", m.SchemaVersion)
	}
	if m.MediaType != "" && !IsManifest(m.MediaType) {
		return nil, fmt.Errorf("manifest: unsupported media type %q", m.MediaType)
	}
	if !IsConfig(m.Config.MediaType) {
		return nil, fmt.Errorf("manifest: unsupported config media type %q", m.Config.MediaType)
	}
	if err := checkDescriptor(m.Config); err != nil {
		return nil, fmt.Errorf("manifest config: %w", err)
	}
	for i, l := range m.Layers {
		if !IsLayer(l.MediaType) {
			return nil, fmt.Errorf("manifest layer %d: unsupported media type %q", i, l.MediaType)
		}
		if err := checkDescriptor(l); err != nil {
			return nil, fmt.Errorf("manifest layer %d: %w", i, err)
		}
	}
	return &m, nil
}

// ParseIndex decodes and validates an index or manifest list.
func ParseIndex(b []byte) (*ocispec.Index, error) {
	if len(b) > MaxManifestBytes {
		return nil, fmt.Errorf("index: %d bytes is over the %d byte limit", len(b), MaxManifestBytes)
	}
	var ix ocispec.Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	if ix.SchemaVersion != 2 {
		return nil, fmt.Errorf("index: unsupported schemaVersion %d", ix.SchemaVersion)
	}
	if ix.MediaType != "" && !IsIndex(ix.MediaType) {
		return nil, fmt.Errorf("index: unsupported media type %q", ix.MediaType)
	}
	for i, m := range ix.Manifests {
		if err := checkDescriptor(m); err != nil {
			return nil, fmt.Errorf("index entry %d: %w", i, err)
		}
	}
	return &ix, nil
}

// SniffMediaType reads the mediaType a manifest-like document declares, and
// tells a manifest from an index by its fields when it declares none.
func SniffMediaType(b []byte) string {
	var probe struct {
		MediaType string            `json:"mediaType"`
		Manifests []json.RawMessage `json:"manifests"`
		Config    json.RawMessage   `json:"config"`
	}
	if json.Unmarshal(b, &probe) != nil {
		return ""
	}
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.Manifests != nil:
		return ocispec.MediaTypeImageIndex
	case probe.Config != nil:
		return ocispec.MediaTypeImageManifest
	}
	return ""
}

func checkDescriptor(d ocispec.Descriptor) error {
	if err := d.Digest.Validate(); err != nil {
		return fmt.Errorf("digest %q: %w", d.Digest, err)
	}
	if d.Digest.Algorithm() != digest.SHA256 {
		return fmt.Errorf("digest %s: only sha256 is supported", d.Digest)
	}
	if d.Size < 0 {
		return fmt.Errorf("digest %s: negative size", d.Digest)
	}
	return nil
}
