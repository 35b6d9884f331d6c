package store

import "path/filepath"

// Usage is the store's disk use by kind, for `berth system df`.
type Usage struct {
	BlobBytes   int64
	Blobs       int
	LayerBytes  int64
	Layers      int
	IngestBytes int64
}

// DiskUsage measures the store.
func (s *Store) DiskUsage() (Usage, error) {
	var u Usage
	blobs, err := s.Blobs()
	if err != nil {
		return u, err
	}
	for _, d := range blobs {
		if n, ok := s.HasBlob(d); ok {
			u.BlobBytes += n
			u.Blobs++
		}
	}
	layers, err := s.Layers()
	if err != nil {
		return u, err
	}
	for _, l := range layers {
		u.LayerBytes += dirSize(filepath.Dir(s.LayerDir(l.ChainID)))
		u.Layers++
	}
	u.IngestBytes = dirSize(filepath.Join(s.root, ingestDir)) + dirSize(filepath.Join(s.root, tmpDir))
	return u, nil
}
