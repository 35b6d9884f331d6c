// Package registry speaks the OCI distribution protocol: resolving tags to
// manifests, fetching and uploading blobs (resumable, retried, mounted
// across repositories when possible), and the auth dance in front of it
// (anonymous, basic, bearer tokens cached per scope, docker's config.json
// and credential helpers).
//
// It moves bytes and verifies them; it must never write to the store
// itself: the engine decides what a pulled blob becomes.
package registry
