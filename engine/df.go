package engine

import (
	"context"

	"github.com/opencontainers/go-digest"
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
	for _, s := range imgs {
		if s.Containers == 0 {
			continue
		}
		du.Images.Active++
		im, err := e.ResolveImage(ctx, s.ID.String())
		if err != nil {
			continue
		}
		for _, c := range im.ChainIDs() {
			activeLayers[c] = true
		}
	}
	layers, err := e.Store.Layers()
	if err != nil {
		return du, err
	}
	for _, l := range layers {
		if !activeLayers[l.ChainID] {
			du.Images.Reclaimable += l.Size
		}
	}
	du.Unreachable = u.IngestBytes
	return du, nil
}
