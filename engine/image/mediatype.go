package image

import ocispec "github.com/opencontainers/image-spec/specs-go/v1"

// Docker schema2 media types, which registries still serve beside OCI's.
const (
	DockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
	DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	DockerConfig       = "application/vnd.docker.container.image.v1+json"
	DockerLayer        = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	DockerForeignLayer = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	DockerLayerTar     = "application/vnd.docker.image.rootfs.diff.tar"
)

// IsManifest reports an image manifest media type.
func IsManifest(mt string) bool {
	return mt == ocispec.MediaTypeImageManifest || mt == DockerManifest
}

// IsIndex reports an index / manifest list media type.
func IsIndex(mt string) bool {
	return mt == ocispec.MediaTypeImageIndex || mt == DockerManifestList
}

// IsConfig reports an image config media type.
func IsConfig(mt string) bool {
	return mt == ocispec.MediaTypeImageConfig || mt == DockerConfig
}

// IsLayer reports a layer media type berth can unpack.
func IsLayer(mt string) bool {
	switch mt {
	case ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerZstd,
		ocispec.MediaTypeImageLayerNonDistributable, ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck // still served
		ocispec.MediaTypeImageLayerNonDistributableZstd, //nolint:staticcheck
		DockerLayer, DockerForeignLayer, DockerLayerTar:
		return true
	}
	return false
}
