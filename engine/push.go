package engine

import (
	"context"
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/events"
	"berth/engine/image"
	"berth/engine/registry"
)

// Push uploads an image under the name it is stored as: blobs the
// registry already has are skipped, blobs it has in another repository
// are mounted, the rest uploaded; the manifest goes last, byte for byte as
// stored, so its digest is the same everywhere.
func (e *Engine) Push(ctx context.Context, name string) error {
	ref, err := image.ParseRef(name)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	im, err := e.ResolveImage(ctx, name)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	c := e.Registry()
	repo := registry.RepoOf(ref)
	// Another name of this image on the same registry is a mount source.
	from := ""
	for _, r := range im.Refs {
		if o, err := image.ParseRef(r); err == nil && registry.RepoOf(o).Host == repo.Host && o.Path() != repo.Path {
			from = o.Path()
			break
		}
	}
	blobs := append(append([]ocispec.Descriptor{}, im.Body.Layers...), im.Body.Config)
	for _, b := range blobs {
		if err := e.pushBlob(ctx, c, repo, b, from); err != nil {
			return fmt.Errorf("push %s: %w", ref.Familiar(), err)
		}
	}
	mb, err := e.Store.ReadBlob(im.Manifest.Digest, image.MaxManifestBytes)
	if err != nil {
		return err
	}
	tag := ref.Tag()
	if tag == "" {
		tag = im.Manifest.Digest.String()
	}
	if err := c.PutManifest(ctx, repo, tag, im.Manifest.MediaType, mb); err != nil {
		return fmt.Errorf("push %s: %w", ref.Familiar(), err)
	}
	e.publish(events.Event{Type: events.Image, Action: "push", ID: im.ID.String(), Name: ref.String(), Status: im.Manifest.Digest.String()})
	return nil
}

func (e *Engine) pushBlob(ctx context.Context, c *registry.Client, repo registry.Repo, d ocispec.Descriptor, from string) error {
	short := ShortID(d.Digest)
	ok, err := c.BlobExists(ctx, repo, d.Digest)
	if err != nil {
		return err
	}
	if ok {
		e.publish(events.Event{Type: events.Layer, Action: "progress", ID: short, Status: "Layer already exists", Current: d.Size, Total: d.Size})
		return nil
	}
	f, err := e.Store.OpenBlob(d.Digest)
	if err != nil {
		return err
	}
	defer f.Close()
	e.publish(events.Event{Type: events.Layer, Action: "progress", ID: short, Status: "Pushing", Total: d.Size})
	mounted, err := c.UploadBlob(ctx, repo, d.Digest, d.Size, from, func(off int64) (io.ReadCloser, error) {
		return io.NopCloser(&progressReader{r: io.NewSectionReader(f, off, d.Size-off), e: e, id: short, status: "Pushing", total: d.Size, n: off}), nil
	})
	if err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	status := "Pushed"
	if mounted {
		status = "Mounted from " + from
	}
	e.publish(events.Event{Type: events.Layer, Action: "progress", ID: short, Status: status, Current: d.Size, Total: d.Size})
	return nil
}
