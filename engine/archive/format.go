package archive

import (
	"encoding/json"
	"errors"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const metaLimit = 16 << 20

// Format of an archive.
type Format string

const (
	Docker Format = "docker"  // docker-archive tar
	OCI    Format = "oci"     // OCI layout in a tar
	OCIDir Format = "oci-dir" // OCI layout directory
)

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case Docker, OCI, OCIDir:
		return Format(s), nil
	case "docker-archive":
		return Docker, nil
	case "oci-archive":
		return OCI, nil
	}
	return "", fmt.Errorf("unknown archive format %q (want docker, oci or oci-dir)", s)
}

// DockerEntry is one image in a docker-archive manifest.json.
type DockerEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// Layout names inside an OCI layout.
const (
	LayoutFile  = ocispec.ImageLayoutFile
	IndexFile   = "index.json"
	ManifestDoc = "manifest.json"
	// ImageNameAnnotation carries the full reference, as containerd and
	// docker write it; ref.name holds only the tag by OCI convention.
	ImageNameAnnotation = "io.containerd.image.name"
)

// BlobPath is where an OCI layout keeps a blob.
func BlobPath(d interface{ Encoded() string }) string {
	return "blobs/sha256/" + d.Encoded()
}

// Detect tells which format s holds. Docker 25+ archives hold both; their
// manifest.json is read, as it carries the RepoTags.
func Detect(s Source) (Format, error) {
	if rc, _, err := s.Open(ManifestDoc); err == nil {
		rc.Close()
		return Docker, nil
	}
	if rc, _, err := s.Open(IndexFile); err == nil {
		rc.Close()
		return OCI, nil
	}
	return "", errors.New("neither a docker archive (manifest.json) nor an OCI layout (index.json)")
}

// ReadDockerManifest reads manifest.json.
func ReadDockerManifest(s Source) ([]DockerEntry, error) {
	b, err := ReadSmall(s, ManifestDoc, metaLimit)
	if err != nil {
		return nil, err
	}
	var ents []DockerEntry
	if err := json.Unmarshal(b, &ents); err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestDoc, err)
	}
	if len(ents) == 0 {
		return nil, fmt.Errorf("%s: no images", ManifestDoc)
	}
	return ents, nil
}

// ReadOCIIndex reads index.json.
func ReadOCIIndex(s Source) (*ocispec.Index, error) {
	b, err := ReadSmall(s, IndexFile, metaLimit)
	if err != nil {
		return nil, err
	}
	var ix ocispec.Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("%s: %w", IndexFile, err)
	}
	return &ix, nil
}
