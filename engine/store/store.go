package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// Store is one berth root directory.
type Store struct {
	root string
}

// Subdirectories of the root; see DESIGN.md "On disk".
const (
	blobsDir  = "blobs/sha256"
	ingestDir = "ingest"
	layersDir = "layers"
	tmpDir    = "tmp"
	indexFile = "images.json"
)

// Open creates (if needed) and opens the store at root.
func Open(root string) (*Store, error) {
	if root == "" {
		return nil, fmt.Errorf("open store: empty root path")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", root, err)
	}
	for _, d := range []string{blobsDir, ingestDir, layersDir, tmpDir, "locks"} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o700); err != nil {
			return nil, fmt.Errorf("open store %s: %w", abs, err)
		}
	}
	return &Store{root: abs}, nil
}

// Root is the absolute path of the store.
func (s *Store) Root() string { return s.root }

// Path joins elements under the root, for engine parts that own their own
// subdirectory (containers/, volumes/, cache/).
func (s *Store) Path(elem ...string) string {
	return filepath.Join(append([]string{s.root}, elem...)...)
}

// TempDir makes a fresh directory under tmp/ on the store's filesystem, so a
// finished result can be renamed into place atomically. GC removes leftovers.
func (s *Store) TempDir(pattern string) (string, error) {
	d, err := os.MkdirTemp(filepath.Join(s.root, tmpDir), pattern)
	if err != nil {
		return "", fmt.Errorf("store temp dir: %w", err)
	}
	return d, nil
}

// syncDir makes a rename inside dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
