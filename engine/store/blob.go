package store

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
)

// ErrBlobNotFound is returned (wrapped) when a digest is not in the store.
var ErrBlobNotFound = errors.New("blob not found")

// Ingest is a blob being written. Bytes land in ingest/ and reach blobs/ only
// through Commit, after their digest is checked.
type Ingest struct {
	s    *Store
	f    *os.File
	h    hash.Hash
	n    int64
	done bool
}

// NewIngest starts writing a blob.
func (s *Store) NewIngest() (*Ingest, error) {
	f, err := os.CreateTemp(filepath.Join(s.root, ingestDir), "blob-")
	if err != nil {
		return nil, fmt.Errorf("start blob write: %w", err)
	}
	return &Ingest{s: s, f: f, h: sha256.New()}, nil
}

func (w *Ingest) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	return n, err
}

// Size is the number of bytes written so far.
func (w *Ingest) Size() int64 { return w.n }

// Digest of the bytes written so far.
func (w *Ingest) Digest() digest.Digest { return digest.NewDigest(digest.SHA256, w.h) }

// Commit verifies the content against expected (skipped when empty), makes it
// durable and moves it into blobs/. It returns the blob's digest.
func (w *Ingest) Commit(expected digest.Digest) (digest.Digest, error) {
	if w.done {
		return "", fmt.Errorf("blob write already finished")
	}
	w.done = true
	got := w.Digest()
	name := w.f.Name()
	fail := func(err error) (digest.Digest, error) {
		w.f.Close()
		os.Remove(name)
		return "", err
	}
	if expected != "" && expected != got {
		return fail(fmt.Errorf("blob %s: content has digest %s", expected, got))
	}
	if err := w.f.Sync(); err != nil {
		return fail(fmt.Errorf("blob %s: sync: %w", got, err))
	}
	if err := w.f.Close(); err != nil {
		return fail(fmt.Errorf("blob %s: close: %w", got, err))
	}
	dst := w.s.BlobPath(got)
	if _, err := os.Stat(dst); err == nil {
		os.Remove(name)
		return got, nil
	}
	if err := os.Chmod(name, 0o644); err != nil {
		return fail(fmt.Errorf("blob %s: %w", got, err))
	}
	if err := os.Rename(name, dst); err != nil {
		return fail(fmt.Errorf("blob %s: %w", got, err))
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return "", fmt.Errorf("blob %s: sync dir: %w", got, err)
	}
	return got, nil
}

// Abort discards an unfinished blob. Safe to call after Commit.
func (w *Ingest) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.f.Close()
	os.Remove(w.f.Name())
}

// PutBlob copies r into the store, verifying expected when given.
func (s *Store) PutBlob(r io.Reader, expected digest.Digest) (digest.Digest, int64, error) {
	if expected != "" {
		if err := expected.Validate(); err != nil {
			return "", 0, fmt.Errorf("blob %q: %w", expected, err)
		}
		if n, ok := s.HasBlob(expected); ok {
			return expected, n, nil
		}
	}
	w, err := s.NewIngest()
	if err != nil {
		return "", 0, err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Abort()
		return "", 0, fmt.Errorf("write blob %s: %w", expected, err)
	}
	d, err := w.Commit(expected)
	return d, w.n, err
}

// PutBytes stores a small blob such as a manifest or config.
func (s *Store) PutBytes(b []byte) (digest.Digest, error) {
	d := digest.FromBytes(b)
	if _, ok := s.HasBlob(d); ok {
		return d, nil
	}
	w, err := s.NewIngest()
	if err != nil {
		return "", err
	}
	if _, err := w.Write(b); err != nil {
		w.Abort()
		return "", fmt.Errorf("write blob %s: %w", d, err)
	}
	return w.Commit(d)
}

// BlobPath is where a committed blob lives.
func (s *Store) BlobPath(d digest.Digest) string {
	return filepath.Join(s.root, blobsDir, d.Encoded())
}

// HasBlob reports whether d is stored and its size.
func (s *Store) HasBlob(d digest.Digest) (int64, bool) {
	if d.Validate() != nil || d.Algorithm() != digest.SHA256 {
		return 0, false
	}
	fi, err := os.Stat(s.BlobPath(d))
	if err != nil {
		return 0, false
	}
	return fi.Size(), true
}

// OpenBlob opens a stored blob for reading.
func (s *Store) OpenBlob(d digest.Digest) (*os.File, error) {
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("blob %q: %w", d, err)
	}
	f, err := os.Open(s.BlobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", d, ErrBlobNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return f, nil
}

// ReadBlob reads a small blob whole, refusing blobs over limit bytes, and
// re-verifies its digest: metadata is trusted only if it is what it claims.
func (s *Store) ReadBlob(d digest.Digest, limit int64) ([]byte, error) {
	f, err := s.OpenBlob(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", d, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("blob %s: larger than %d bytes", d, limit)
	}
	if got := digest.FromBytes(b); got != d {
		return nil, fmt.Errorf("blob %s: corrupt (content has digest %s)", d, got)
	}
	return b, nil
}

// Blobs lists every committed blob.
func (s *Store) Blobs() ([]digest.Digest, error) {
	ents, err := os.ReadDir(filepath.Join(s.root, blobsDir))
	if err != nil {
		return nil, fmt.Errorf("list blobs: %w", err)
	}
	var out []digest.Digest
	for _, e := range ents {
		d := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if d.Validate() == nil {
			out = append(out, d)
		}
	}
	return out, nil
}
