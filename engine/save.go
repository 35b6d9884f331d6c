package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/archive"
	"berth/engine/image"
	"berth/engine/layer"
)

// Save writes images, by name or ID, to sink in format.
func (e *Engine) Save(ctx context.Context, sink archive.Sink, names []string, format archive.Format) error {
	if len(names) == 0 {
		return fmt.Errorf("save: no image given")
	}
	var imgs []*Image
	var refs [][]string
	for _, n := range names {
		im, err := e.ResolveImage(ctx, n)
		if err != nil {
			return fmt.Errorf("save: %w", err)
		}
		imgs = append(imgs, im)
		refs = append(refs, savedRefs(im, n))
	}
	var err error
	if format == archive.Docker {
		err = e.saveDocker(ctx, sink, imgs, refs)
	} else {
		err = e.saveOCI(ctx, sink, imgs, refs)
	}
	if err == nil {
		err = sink.Close()
	}
	if err != nil {
		return fmt.Errorf("save: %w", err)
	}
	return nil
}

// savedRefs: an image asked for by reference is saved under that one; by
// ID, under no name, as docker does.
func savedRefs(im *Image, name string) []string {
	r, err := image.ParseRef(name)
	if err != nil || r.Digest() != "" {
		return nil
	}
	for _, have := range im.Refs {
		if have == r.String() {
			return []string{have}
		}
	}
	return nil
}

func (e *Engine) saveDocker(ctx context.Context, sink archive.Sink, imgs []*Image, refs [][]string) error {
	var manifest []archive.DockerEntry
	repos := map[string]map[string]string{}
	written := map[string]bool{}
	for i, im := range imgs {
		ent := archive.DockerEntry{Config: im.ID.Encoded() + ".json"}
		if !written[ent.Config] {
			if err := sink.Add(ent.Config, int64(len(im.RawCfg)), bytes.NewReader(im.RawCfg)); err != nil {
				return err
			}
			written[ent.Config] = true
		}
		chains := im.ChainIDs()
		for j, l := range im.Body.Layers {
			diffID := im.Config.RootFS.DiffIDs[j]
			name := diffID.Encoded() + "/layer.tar"
			ent.Layers = append(ent.Layers, name)
			if written[name] {
				continue
			}
			if err := e.writeTarLayer(ctx, sink, name, l, diffID, chains[j]); err != nil {
				return err
			}
			written[name] = true
		}
		for _, r := range refs[i] {
			ent.RepoTags = append(ent.RepoTags, image.FamiliarRef(r))
			repo, tag := image.SplitFamiliar(r)
			if repos[repo] == nil {
				repos[repo] = map[string]string{}
			}
			if n := len(im.Config.RootFS.DiffIDs); n > 0 {
				repos[repo][tag] = im.Config.RootFS.DiffIDs[n-1].Encoded()
			}
		}
		manifest = append(manifest, ent)
	}
	for name, v := range map[string]any{archive.ManifestDoc: manifest, "repositories": repos} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := sink.Add(name, int64(len(b)), bytes.NewReader(b)); err != nil {
			return err
		}
	}
	return nil
}

// writeTarLayer writes a layer uncompressed, as docker-archive wants,
// checking the diffID on the way out.
func (e *Engine) writeTarLayer(ctx context.Context, sink archive.Sink, name string, l ocispec.Descriptor, diffID, chain digest.Digest) error {
	size := int64(-1)
	if li, ok := e.Store.Layer(chain); ok && li.DiffID == diffID {
		size = li.Size
	}
	if size < 0 {
		var err error
		if size, err = e.tarSize(l.Digest); err != nil {
			return err
		}
	}
	f, err := e.Store.OpenBlob(l.Digest)
	if err != nil {
		return err
	}
	defer f.Close()
	dr, _, err := layer.Decompress(f)
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	defer dr.Close()
	h := sha256.New()
	if err := sink.Add(name, size, io.TeeReader(io.LimitReader(dr, size), h)); err != nil {
		return fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	if got := digest.NewDigest(digest.SHA256, h); got != diffID {
		return fmt.Errorf("layer %s: stored content has diffID %s, image says %s", l.Digest, got, diffID)
	}
	return ctx.Err()
}

func (e *Engine) tarSize(d digest.Digest) (int64, error) {
	f, err := e.Store.OpenBlob(d)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	dr, _, err := layer.Decompress(f)
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", d, err)
	}
	defer dr.Close()
	n, err := io.Copy(io.Discard, dr)
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", d, err)
	}
	return n, nil
}

func (e *Engine) saveOCI(ctx context.Context, sink archive.Sink, imgs []*Image, refs [][]string) error {
	layout := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	if err := sink.Add(archive.LayoutFile, int64(len(layout)), bytes.NewReader(layout)); err != nil {
		return err
	}
	written := map[digest.Digest]bool{}
	blob := func(d ocispec.Descriptor) error {
		if written[d.Digest] {
			return nil
		}
		f, err := e.Store.OpenBlob(d.Digest)
		if err != nil {
			return err
		}
		defer f.Close()
		written[d.Digest] = true
		return sink.Add(archive.BlobPath(d.Digest), d.Size, f)
	}
	ix := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	ix.SchemaVersion = 2
	for i, im := range imgs {
		for _, l := range im.Body.Layers {
			if err := blob(l); err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := blob(im.Body.Config); err != nil {
			return err
		}
		if err := blob(im.Manifest); err != nil {
			return err
		}
		if len(refs[i]) == 0 {
			ix.Manifests = append(ix.Manifests, im.Manifest)
		}
		for _, r := range refs[i] {
			d := im.Manifest
			d.Annotations = map[string]string{archive.ImageNameAnnotation: r}
			if ref, err := image.ParseRef(r); err == nil && ref.Tag() != "" {
				d.Annotations[ocispec.AnnotationRefName] = ref.Tag()
			}
			ix.Manifests = append(ix.Manifests, d)
		}
	}
	b, err := json.Marshal(ix)
	if err != nil {
		return err
	}
	return sink.Add(archive.IndexFile, int64(len(b)), bytes.NewReader(b))
}
