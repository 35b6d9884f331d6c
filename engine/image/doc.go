// Package image is berth's model of OCI and Docker schema2 images:
// references normalized as docker does, media types, manifests and indexes
// (with platform selection), image configs and chainIDs.
//
// It is pure data: it must never touch the disk or the network, so the
// store, the registry client and the builder can share it.
package image

// go-digest needs the hash registered by whoever uses it.
import _ "crypto/sha256"
