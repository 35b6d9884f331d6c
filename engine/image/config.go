package image

import (
	"encoding/json"
	"fmt"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ParseConfig decodes an image config and checks what berth relies on.
func ParseConfig(b []byte) (*ocispec.Image, error) {
	if len(b) > MaxManifestBytes {
		return nil, fmt.Errorf("image config: %d bytes is over the %d byte limit", len(b), MaxManifestBytes)
	}
	var c ocispec.Image
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	if c.RootFS.Type != "" && c.RootFS.Type != "layers" {
		return nil, fmt.Errorf("image config: unsupported rootfs type %q", c.RootFS.Type)
	}
	for i, d := range c.RootFS.DiffIDs {
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("image config: diff_ids[%d] %q: %w", i, d, err)
		}
	}
	return &c, nil
}

// ChainIDs returns the chainID of each layer prefix: the keys under which
// unpacked layers are stored, since a layer's tree only means something on
// top of the layers below it.
func ChainIDs(diffIDs []digest.Digest) []digest.Digest {
	return identity.ChainIDs(append([]digest.Digest(nil), diffIDs...))
}

// ChainID is the chainID of the whole stack.
func ChainID(diffIDs []digest.Digest) digest.Digest {
	if len(diffIDs) == 0 {
		return ""
	}
	return identity.ChainID(diffIDs)
}
