package store

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// GCRoots names content that is in use although no index entry reaches it:
// layers under containers, the build cache.
type GCRoots struct {
	Blobs  []digest.Digest
	Layers []digest.Digest // chainIDs
}

// GCResult says what a collection removed.
type GCResult struct {
	Blobs  int
	Layers int
	Bytes  int64
}

// GC removes blobs and unpacked layers that no index entry and no extra root
// reaches (rootsFn names the extra roots), and any ingest/ or tmp/ leftovers of dead writers. It waits for
// running writers' leases, so it never takes content about to be referenced.
func (s *Store) GC(rootsFn func() (GCRoots, error)) (GCResult, error) {
	unlock, err := s.gcLock()
	if err != nil {
		return GCResult{}, err
	}
	defer unlock()
	// Roots are read under the lock: a writer that held a lease while GC
	// waited has made its content a root by now.
	var roots GCRoots
	if rootsFn != nil {
		if roots, err = rootsFn(); err != nil {
			return GCResult{}, fmt.Errorf("gc: %w", err)
		}
	}
	ix, err := s.ReadIndex()
	if err != nil {
		return GCResult{}, err
	}
	blobs := map[digest.Digest]bool{}
	layers := map[digest.Digest]bool{}
	for _, d := range roots.Blobs {
		blobs[d] = true
	}
	for _, d := range roots.Layers {
		layers[d] = true
	}
	for _, m := range ix.Manifests {
		if err := s.mark(m, blobs, layers); err != nil {
			return GCResult{}, fmt.Errorf("gc: %w", err)
		}
	}
	var res GCResult
	all, err := s.Blobs()
	if err != nil {
		return res, err
	}
	for _, d := range all {
		if blobs[d] {
			continue
		}
		if n, ok := s.HasBlob(d); ok {
			res.Bytes += n
		}
		if err := os.Remove(s.BlobPath(d)); err != nil && !os.IsNotExist(err) {
			return res, fmt.Errorf("gc blob %s: %w", d, err)
		}
		res.Blobs++
	}
	ents, err := os.ReadDir(filepath.Join(s.root, layersDir))
	if err != nil {
		return res, fmt.Errorf("gc layers: %w", err)
	}
	for _, e := range ents {
		if layers[digest.NewDigestFromEncoded(digest.SHA256, e.Name())] {
			continue
		}
		p := filepath.Join(s.root, layersDir, e.Name())
		res.Bytes += dirSize(p)
		if err := os.RemoveAll(p); err != nil {
			return res, fmt.Errorf("gc layer %s: %w", e.Name(), err)
		}
		res.Layers++
	}
	for _, d := range []string{ingestDir, tmpDir} {
		ents, _ := os.ReadDir(filepath.Join(s.root, d))
		for _, e := range ents {
			p := filepath.Join(s.root, d, e.Name())
			res.Bytes += dirSize(p)
			os.RemoveAll(p)
		}
	}
	return res, nil
}

// mark records desc, everything it references and, for image configs, the
// chainIDs of its layers.
func (s *Store) mark(desc ocispec.Descriptor, blobs, layers map[digest.Digest]bool) error {
	if blobs[desc.Digest] {
		return nil
	}
	blobs[desc.Digest] = true
	children, err := s.Children(desc)
	if err != nil {
		return err
	}
	for _, c := range children {
		if isConfig(c.MediaType) {
			for _, id := range s.configChainIDs(c.Digest) {
				layers[id] = true
			}
		}
		if err := s.mark(c, blobs, layers); err != nil {
			return err
		}
	}
	return nil
}

func isConfig(mt string) bool {
	return mt == ocispec.MediaTypeImageConfig || mt == "application/vnd.docker.container.image.v1+json"
}

func (s *Store) configChainIDs(d digest.Digest) []digest.Digest {
	b, err := s.ReadBlob(d, MaxManifestBytes)
	if err != nil {
		return nil
	}
	var cfg ocispec.Image
	if json.Unmarshal(b, &cfg) != nil {
		return nil
	}
	return identity.ChainIDs(append([]digest.Digest(nil), cfg.RootFS.DiffIDs...))
}

// dirSize sums the sizes of regular files under p (p itself if a file),
// counting hardlinked files once: busybox's 400 applet links are one file.
func dirSize(p string) int64 {
	var n int64
	seen := map[[2]uint64]bool{}
	filepath.Walk(p, func(_ string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink > 1 {
			key := [2]uint64{st.Dev, st.Ino}
			if seen[key] {
				return nil
			}
			seen[key] = true
		}
		n += fi.Size()
		return nil
	})
	return n
}
