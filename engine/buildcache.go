package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/store"
)

// BuildCacheEntry is what one build step left behind, under the step's
// cache key: the layer it added (none for steps that only change the
// config) and when it first ran, so a rebuild from cache reproduces the
// same history and therefore the same image ID.
type BuildCacheEntry struct {
	Key     digest.Digest       `json:"key"`
	Created time.Time           `json:"created"`
	Layer   *ocispec.Descriptor `json:"layer,omitempty"`
	DiffID  digest.Digest       `json:"diffID,omitempty"`
	ChainID digest.Digest       `json:"chainID,omitempty"`
}

const buildCacheDir = "buildcache"

func (e *Engine) buildCachePath(key digest.Digest) string {
	return e.Store.Path(buildCacheDir, key.Encoded()+".json")
}

// BuildCacheGet returns the entry for key when its layer blob is still in
// the store; a layer collected since is a miss, not an error.
func (e *Engine) BuildCacheGet(key digest.Digest) (BuildCacheEntry, bool) {
	if key.Validate() != nil {
		return BuildCacheEntry{}, false
	}
	b, err := os.ReadFile(e.buildCachePath(key))
	if err != nil {
		return BuildCacheEntry{}, false
	}
	var ent BuildCacheEntry
	if json.Unmarshal(b, &ent) != nil || ent.Key != key {
		return BuildCacheEntry{}, false
	}
	if ent.Layer != nil {
		if _, ok := e.Store.HasBlob(ent.Layer.Digest); !ok {
			return BuildCacheEntry{}, false
		}
	}
	return ent, true
}

// BuildCachePut records a step. Two builds racing on one key write the
// same meaning; the rename makes whichever lands last whole.
func (e *Engine) BuildCachePut(ent BuildCacheEntry) error {
	b, err := json.Marshal(ent)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(e.Store.Path(buildCacheDir), 0o700); err != nil {
		return fmt.Errorf("build cache: %w", err)
	}
	// Not fsynced: a lost entry after a crash is only a cache miss.
	if err := store.ReplaceFile(e.buildCachePath(ent.Key), b, 0o600); err != nil {
		return fmt.Errorf("build cache: %w", err)
	}
	return nil
}

// BuildCacheMount is the persistent directory behind a RUN
// --mount=type=cache with this id.
func (e *Engine) BuildCacheMount(id string) (string, error) {
	sum := digest.FromString(id).Encoded()[:32]
	p := e.Store.Path(buildCacheDir, "mounts", sum)
	if err := os.MkdirAll(p, 0o755); err != nil {
		return "", fmt.Errorf("build cache mount %s: %w", id, err)
	}
	return p, nil
}

// buildCacheRoots keeps the layers the cache names alive through GC, so
// removing an image does not make the next build start cold.
func (e *Engine) buildCacheRoots(roots *store.GCRoots) {
	ents, _ := os.ReadDir(e.Store.Path(buildCacheDir))
	for _, de := range ents {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(e.Store.Path(buildCacheDir), de.Name()))
		if err != nil {
			continue
		}
		var ent BuildCacheEntry
		if json.Unmarshal(b, &ent) != nil || ent.Layer == nil {
			continue
		}
		roots.Blobs = append(roots.Blobs, ent.Layer.Digest)
		roots.Layers = append(roots.Layers, ent.ChainID)
	}
}

// BuildCacheUsage counts the cache's entries and the bytes of its mounts.
func (e *Engine) BuildCacheUsage() (entries int, err error) {
	ents, err := os.ReadDir(e.Store.Path(buildCacheDir))
	if os.IsNotExist(err) {
		return 0, nil
	}
	for _, de := range ents {
		if strings.HasSuffix(de.Name(), ".json") {
			entries++
		}
	}
	return entries, err
}

// PruneBuildCache forgets every cached step and cache mount, then collects
// the layers only the cache held.
func (e *Engine) PruneBuildCache(ctx context.Context) (int, int64, error) {
	n, _ := e.BuildCacheUsage()
	dir := e.Store.Path(buildCacheDir)
	gone, err := e.Store.TempDir("buildcache-")
	if err != nil {
		return 0, 0, err
	}
	// One rename takes the whole cache away at once; a build writing an
	// entry meanwhile starts a fresh directory.
	if err := os.Rename(dir, filepath.Join(gone, "c")); err != nil && !os.IsNotExist(err) {
		os.RemoveAll(gone)
		return 0, 0, fmt.Errorf("builder prune: %w", err)
	}
	os.RemoveAll(gone)
	res, err := e.GC(ctx)
	return n, res.Bytes, err
}
