package engine

import (
	"context"
	"io/fs"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"berth/engine/store"
)

// DiskUsage is `berth system df`: one row per kind.
type DiskUsage struct {
	Images      UsageRow
	Containers  UsageRow
	Volumes     UsageRow
	BuildCache  UsageRow
	Unreachable int64 // bytes GC would free now (partial downloads, orphans)
}

// UsageRow is TOTAL / ACTIVE / SIZE / RECLAIMABLE.
type UsageRow struct {
	Total, Active     int
	Size, Reclaimable int64
}

// DiskUsage measures the store. An image's size counts its blobs and
// unpacked layers once, however many images share them.
func (e *Engine) DiskUsage(ctx context.Context) (DiskUsage, error) {
	var du DiskUsage
	imgs, err := e.Images(ctx)
	if err != nil {
		return du, err
	}
	u, err := e.Store.DiskUsage()
	if err != nil {
		return du, err
	}
	du.Images.Total = len(imgs)
	du.Images.Size = u.BlobBytes + u.LayerBytes
	// Reclaimable: what images no container uses hold exclusively.
	activeLayers := map[digest.Digest]bool{}
	inImages := map[digest.Digest]bool{}
	for _, s := range imgs {
		im, err := e.ResolveImage(ctx, s.ID.String())
		if err != nil {
			continue
		}
		for _, c := range im.ChainIDs() {
			inImages[c] = true
			if s.Containers > 0 {
				activeLayers[c] = true
			}
		}
		if s.Containers > 0 {
			du.Images.Active++
		}
	}
	layers, err := e.Store.Layers()
	if err != nil {
		return du, err
	}
	for _, l := range layers {
		if inImages[l.ChainID] && !activeLayers[l.ChainID] {
			du.Images.Reclaimable += l.Size
		}
	}
	du.BuildCache = e.buildCacheUsage(inImages, layers)
	du.Unreachable = u.IngestBytes
	return du, nil
}

// buildCacheUsage counts the cache's entries and what only the cache holds:
// layers no image names, and the RUN cache mounts. All of it is reclaimable.
func (e *Engine) buildCacheUsage(inImages map[digest.Digest]bool, layers []store.LayerInfo) UsageRow {
	var row UsageRow
	row.Total, _ = e.BuildCacheUsage()
	var roots store.GCRoots
	e.buildCacheRoots(&roots)
	cached := map[digest.Digest]bool{}
	for _, c := range roots.Layers {
		cached[c] = true
	}
	for _, l := range layers {
		if cached[l.ChainID] && !inImages[l.ChainID] {
			row.Size += l.Size
		}
	}
	filepath.WalkDir(e.Store.Path(buildCacheDir, "mounts"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				row.Size += fi.Size()
			}
		}
		return nil
	})
	row.Reclaimable = row.Size
	return row
}
