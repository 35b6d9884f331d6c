// Package store is berth's on-disk content store: digest-verified blobs, the
// image index (images.json, OCI index shape), unpacked layer directories, the
// locks that let several berth processes share one root, and garbage
// collection.
//
// Crash rule: every file a reader can reach is complete. Blobs are written in
// ingest/, fsynced and renamed into place only after their digest checks out;
// layer trees are unpacked under tmp/ and renamed into layers/ whole; the index
// is replaced by write-temp + fsync + rename and only ever names manifests
// whose blobs are already in place. A kill -9 at any instant therefore leaves
// at worst garbage in ingest/ and tmp/, which GC removes.
//
// The store must never parse image semantics beyond what GC needs (which
// blobs a manifest or index references): platform choice, references and
// configs belong to engine/image.
package store
