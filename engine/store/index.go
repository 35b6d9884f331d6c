package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RefAnnotation carries an entry's reference (normalized, e.g.
// docker.io/library/busybox:latest). An entry without it is a dangling image.
const RefAnnotation = ocispec.AnnotationRefName

// Index is images.json: every image the store keeps, one entry per reference,
// plus entries without a reference for dangling images.
type Index struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
}

// Ref returns the entry's reference, "" for a dangling image.
func Ref(d ocispec.Descriptor) string { return d.Annotations[RefAnnotation] }

// Lookup finds the entry named ref.
func (ix *Index) Lookup(ref string) (ocispec.Descriptor, bool) {
	for _, m := range ix.Manifests {
		if Ref(m) == ref {
			return m, true
		}
	}
	return ocispec.Descriptor{}, false
}

// RefsOf lists the references that point at manifest d.
func (ix *Index) RefsOf(d digest.Digest) []string {
	var out []string
	for _, m := range ix.Manifests {
		if m.Digest == d && Ref(m) != "" {
			out = append(out, Ref(m))
		}
	}
	return out
}

// Has reports whether any entry (named or dangling) holds manifest d.
func (ix *Index) Has(d digest.Digest) bool {
	return slices.ContainsFunc(ix.Manifests, func(m ocispec.Descriptor) bool { return m.Digest == d })
}

// Set points ref at desc. An image that loses its last reference this way
// stays as a dangling entry, as docker keeps a re-tagged image as <none>.
func (ix *Index) Set(ref string, desc ocispec.Descriptor) {
	old, had := ix.Lookup(ref)
	ix.remove(func(m ocispec.Descriptor) bool {
		return Ref(m) == ref || (m.Digest == desc.Digest && Ref(m) == "")
	})
	e := desc
	e.Annotations = map[string]string{}
	for k, v := range desc.Annotations {
		e.Annotations[k] = v
	}
	e.Annotations[RefAnnotation] = ref
	ix.Manifests = append(ix.Manifests, e)
	if had && old.Digest != desc.Digest && !ix.Has(old.Digest) {
		ix.AddDangling(old)
	}
}

// AddDangling records an image without a reference, if it has no entry yet.
func (ix *Index) AddDangling(desc ocispec.Descriptor) {
	if ix.Has(desc.Digest) {
		return
	}
	e := desc
	e.Annotations = map[string]string{}
	for k, v := range desc.Annotations {
		if k != RefAnnotation {
			e.Annotations[k] = v
		}
	}
	ix.Manifests = append(ix.Manifests, e)
}

// Untag removes one reference; it reports whether it existed.
func (ix *Index) Untag(ref string) bool {
	return ix.remove(func(m ocispec.Descriptor) bool { return Ref(m) == ref }) > 0
}

// RemoveDigest drops every entry of manifest d.
func (ix *Index) RemoveDigest(d digest.Digest) int {
	return ix.remove(func(m ocispec.Descriptor) bool { return m.Digest == d })
}

func (ix *Index) remove(match func(ocispec.Descriptor) bool) int {
	n := len(ix.Manifests)
	ix.Manifests = slices.DeleteFunc(ix.Manifests, match)
	return n - len(ix.Manifests)
}

// ReadIndex returns the current images.json. It needs no lock: the file is
// only ever replaced whole by rename.
func (s *Store) ReadIndex() (*Index, error) {
	b, err := os.ReadFile(filepath.Join(s.root, indexFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &Index{SchemaVersion: 2, MediaType: ocispec.MediaTypeImageIndex}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", indexFile, err)
	}
	var ix Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(s.root, indexFile), err)
	}
	return &ix, nil
}

// UpdateIndex runs fn on the index under the index lock and writes the result
// atomically. It refuses to add an entry whose manifest or any blob that
// manifest references is missing, so the index never names a missing blob.
func (s *Store) UpdateIndex(fn func(*Index) error) error {
	unlock, err := s.indexLock()
	if err != nil {
		return err
	}
	defer unlock()
	ix, err := s.ReadIndex()
	if err != nil {
		return err
	}
	before := map[digest.Digest]bool{}
	for _, m := range ix.Manifests {
		before[m.Digest] = true
	}
	if err := fn(ix); err != nil {
		return err
	}
	for _, m := range ix.Manifests {
		if before[m.Digest] {
			continue
		}
		if err := s.checkComplete(m); err != nil {
			return fmt.Errorf("add %s to index: %w", m.Digest, err)
		}
		before[m.Digest] = true
	}
	return s.writeIndex(ix)
}

func (s *Store) writeIndex(ix *Index) error {
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", indexFile, err)
	}
	return WriteFileAtomic(filepath.Join(s.root, indexFile), b, 0o644)
}

// checkComplete walks desc's blob graph and fails on the first missing blob.
func (s *Store) checkComplete(desc ocispec.Descriptor) error {
	if _, ok := s.HasBlob(desc.Digest); !ok {
		return fmt.Errorf("%s %s: %w", desc.MediaType, desc.Digest, ErrBlobNotFound)
	}
	children, err := s.Children(desc)
	if err != nil {
		return err
	}
	for _, c := range children {
		if err := s.checkComplete(c); err != nil {
			return err
		}
	}
	return nil
}

// WriteFileAtomic replaces path with data via write-temp + fsync + rename,
// so readers see the old or the new file, never a torn one, even after a
// power loss.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return writeAtomic(path, data, perm, true)
}

// ReplaceFile is WriteFileAtomic without the fsyncs: a kill -9 still
// never leaves a torn file (rename is atomic), but a power loss may lose
// the last update. For run-time state that dies with the machine anyway
// (container state, rewritten several times per container start).
func ReplaceFile(path string, data []byte, perm os.FileMode) error {
	return writeAtomic(path, data, perm, false)
}

func writeAtomic(path string, data []byte, perm os.FileMode, durable bool) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if !durable {
		return nil
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: sync dir: %w", path, err)
	}
	return nil
}
