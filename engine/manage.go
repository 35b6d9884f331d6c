package engine

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"

	"berth/engine/events"
	"berth/engine/image"
	"berth/engine/store"
)

// Tag points target (a new name) at the image src names.
func (e *Engine) Tag(ctx context.Context, src, target string) error {
	ref, err := image.ParseRef(target)
	if err != nil {
		return fmt.Errorf("tag: %w", err)
	}
	if ref.Digest() != "" {
		return fmt.Errorf("tag: target %q must be a name:tag, not a digest", target)
	}
	ix, err := e.Store.ReadIndex()
	if err != nil {
		return err
	}
	desc, err := resolveIn(ix, src)
	if err != nil {
		return fmt.Errorf("tag: %w", err)
	}
	err = e.Store.UpdateIndex(func(ix *store.Index) error {
		if !ix.Has(desc.Digest) {
			return fmt.Errorf("tag: %w: %s", ErrImageNotFound, src)
		}
		ix.Set(ref.String(), desc)
		return nil
	})
	if err != nil {
		return err
	}
	e.publish(events.Event{Type: events.Image, Action: "tag", ID: desc.Annotations[configAnnotation], Name: ref.String()})
	return nil
}

// RemoveResult is one line of `berth rmi` output.
type RemoveResult struct {
	Untagged string
	Deleted  digest.Digest
}

// RemoveImage removes a name, or the whole image when it is asked for by ID
// or its last name goes. An image a container uses is refused unless force.
func (e *Engine) RemoveImage(ctx context.Context, name string, force bool) ([]RemoveResult, error) {
	var out []RemoveResult
	users, err := e.containerImages()
	if err != nil {
		return nil, err
	}
	err = e.Store.UpdateIndex(func(ix *store.Index) error {
		out = nil
		desc, err := resolveIn(ix, name)
		if err != nil {
			return err
		}
		id := digest.Digest(desc.Annotations[configAnnotation])
		refs := ix.RefsOf(desc.Digest)
		byRef := false
		if r, err := image.ParseRef(name); err == nil && r.Digest() == "" {
			for _, have := range refs {
				byRef = byRef || have == r.String()
			}
			if byRef && len(refs) > 1 {
				ix.Untag(r.String())
				out = append(out, RemoveResult{Untagged: r.String()})
				return nil
			}
		}
		if !byRef && len(refs) > 1 && !force {
			return fmt.Errorf("image %s is referenced by %d names (%s, ...): remove them by name, or use -f",
				ShortID(id), len(refs), image.FamiliarRef(refs[0]))
		}
		if n := users[id]; n > 0 && !force {
			return fmt.Errorf("image %s is used by %d container(s): remove them first, or use -f", name, n)
		}
		for _, r := range refs {
			out = append(out, RemoveResult{Untagged: r})
		}
		ix.RemoveDigest(desc.Digest)
		out = append(out, RemoveResult{Deleted: id})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("remove image: %w", err)
	}
	for _, r := range out {
		if r.Untagged != "" {
			e.publish(events.Event{Type: events.Image, Action: "untag", Name: r.Untagged})
		} else {
			e.publish(events.Event{Type: events.Image, Action: "delete", ID: r.Deleted.String()})
		}
	}
	if _, err := e.GC(ctx); err != nil {
		return out, err
	}
	return out, nil
}

// PruneImages removes dangling images (all unused ones with all) and then
// collects what they held.
func (e *Engine) PruneImages(ctx context.Context, all bool) ([]digest.Digest, int64, error) {
	users, err := e.containerImages()
	if err != nil {
		return nil, 0, err
	}
	var removed []digest.Digest
	err = e.Store.UpdateIndex(func(ix *store.Index) error {
		removed = nil
		seen := map[digest.Digest]bool{}
		for _, m := range ix.Manifests {
			id := digest.Digest(m.Annotations[configAnnotation])
			if seen[m.Digest] || users[id] > 0 || (!all && len(ix.RefsOf(m.Digest)) > 0) {
				continue
			}
			seen[m.Digest] = true
			removed = append(removed, id)
		}
		for d := range seen {
			ix.RemoveDigest(d)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("prune images: %w", err)
	}
	for _, id := range removed {
		e.publish(events.Event{Type: events.Image, Action: "delete", ID: id.String()})
	}
	res, err := e.GC(ctx)
	return removed, res.Bytes, err
}

// GC collects blobs and layers nothing references, keeping what containers
// stand on and what the build cache names.
func (e *Engine) GC(ctx context.Context) (store.GCResult, error) {
	return e.Store.GC(func() (store.GCRoots, error) {
		var roots store.GCRoots
		recs, err := e.containerRecords()
		if err != nil {
			return roots, err
		}
		for _, r := range recs {
			roots.Layers = append(roots.Layers, r.Layers...)
		}
		e.buildCacheRoots(&roots)
		return roots, nil
	})
}
