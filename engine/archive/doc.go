// Package archive reads and writes the image archive formats other tools
// exchange: docker-archive (what `docker save` writes: manifest.json,
// repositories, layer tars) and OCI image layouts, as a directory or as a tar
// of one.
//
// It only moves files in and out of those containers; verifying digests,
// unpacking layers and naming images is the engine's job. Member names are
// never used as host paths without being confined to the layout directory.
package archive
