package engine

import (
	"context"
	"fmt"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/archive"
	"berth/engine/events"
	"berth/engine/image"
)

// Loaded is one image a load brought in.
type Loaded struct {
	ID   digest.Digest
	Refs []string // full references; empty for an untagged image
}

// Load imports every image of a docker-archive, an OCI archive or an OCI
// layout directory. Layers are verified (digest and diffID) and unpacked;
// nothing is named in the index until all of an image's content is stored.
func (e *Engine) Load(ctx context.Context, path string) ([]Loaded, error) {
	src, err := archive.OpenSource(path)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer src.Close()
	format, err := archive.Detect(src)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	release, err := e.Store.Lease()
	if err != nil {
		return nil, err
	}
	defer release()
	var out []Loaded
	if format == archive.Docker {
		out, err = e.loadDocker(ctx, src)
	} else {
		out, err = e.loadOCI(ctx, src)
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	for _, l := range out {
		e.publish(events.Event{Type: events.Image, Action: "load", ID: l.ID.String(), Name: first(l.Refs)})
	}
	return out, nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func (e *Engine) loadDocker(ctx context.Context, src archive.Source) ([]Loaded, error) {
	ents, err := archive.ReadDockerManifest(src)
	if err != nil {
		return nil, err
	}
	var out []Loaded
	for _, ent := range ents {
		cb, err := archive.ReadSmall(src, ent.Config, image.MaxManifestBytes)
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", ent.Config, err)
		}
		cfg, err := image.ParseConfig(cb)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ent.Config, err)
		}
		if len(cfg.RootFS.DiffIDs) != len(ent.Layers) {
			return nil, fmt.Errorf("%s: config lists %d layers, manifest.json %d", ent.Config, len(cfg.RootFS.DiffIDs), len(ent.Layers))
		}
		refs, err := normalizeRefs(ent.RepoTags)
		if err != nil {
			return nil, err
		}
		var layers []ocispec.Descriptor
		var parent digest.Digest
		for i, lp := range ent.Layers {
			diffID := cfg.RootFS.DiffIDs[i]
			chain := diffID
			if parent != "" {
				chain = image.ChainID([]digest.Digest{parent, diffID})
			}
			sl, err := e.loadDockerLayer(ctx, src, lp, diffID, parent, chain)
			if err != nil {
				return nil, err
			}
			layers = append(layers, sl)
			parent = chain
		}
		cd, err := e.StoreImageConfig(cb, layers, refs)
		if err != nil {
			return nil, err
		}
		out = append(out, Loaded{ID: cd, Refs: refs})
	}
	return out, nil
}

// loadDockerLayer stores a docker-archive layer as it is in the archive
// (usually an uncompressed tar), whose blob digest the archive does not
// give: a layer already unpacked under chain with its blob stored is
// recognized by the diffID alone and skipped.
func (e *Engine) loadDockerLayer(ctx context.Context, src archive.Source, name string, diffID, parent, chain digest.Digest) (ocispec.Descriptor, error) {
	if li, ok := e.Store.Layer(chain); ok && li.Blob != "" && li.MediaType != "" {
		if n, ok := e.Store.HasBlob(li.Blob); ok {
			return ocispec.Descriptor{MediaType: li.MediaType, Digest: li.Blob, Size: n}, nil
		}
	}
	rc, _, err := src.Open(name)
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("layer %s: %w", name, err)
	}
	defer rc.Close()
	sl, err := e.PutLayer(ctx, rc, "", diffID, parent, name)
	return sl.Desc, err
}

func (e *Engine) loadOCI(ctx context.Context, src archive.Source) ([]Loaded, error) {
	ix, err := archive.ReadOCIIndex(src)
	if err != nil {
		return nil, err
	}
	if len(ix.Manifests) == 0 {
		return nil, fmt.Errorf("%s: no images", archive.IndexFile)
	}
	var out []Loaded
	for _, top := range ix.Manifests {
		desc, err := e.selectManifest(src, top)
		if err != nil {
			return nil, err
		}
		mb, err := readVerified(src, desc)
		if err != nil {
			return nil, err
		}
		m, err := image.ParseManifest(mb)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", desc.Digest, err)
		}
		cb, err := readVerified(src, m.Config)
		if err != nil {
			return nil, err
		}
		cfg, err := image.ParseConfig(cb)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Config.Digest, err)
		}
		if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
			return nil, fmt.Errorf("%s: config lists %d layers, manifest %d", desc.Digest, len(cfg.RootFS.DiffIDs), len(m.Layers))
		}
		chains := image.ChainIDs(cfg.RootFS.DiffIDs)
		for i, l := range m.Layers {
			if e.haveLayer(l.Digest, chains[i]) {
				continue
			}
			var parent digest.Digest
			if i > 0 {
				parent = chains[i-1]
			}
			if err := e.loadOCILayer(ctx, src, l, cfg.RootFS.DiffIDs[i], parent); err != nil {
				return nil, err
			}
		}
		if _, err := e.Store.PutBytes(cb); err != nil {
			return nil, err
		}
		mt := desc.MediaType
		if mt == "" {
			mt = ocispec.MediaTypeImageManifest
		}
		refs, err := ociRefs(top)
		if err != nil {
			return nil, err
		}
		if _, err := e.commitImage(mb, mt, m.Config.Digest, refs); err != nil {
			return nil, err
		}
		out = append(out, Loaded{ID: m.Config.Digest, Refs: refs})
	}
	return out, nil
}

func (e *Engine) loadOCILayer(ctx context.Context, src archive.Source, l ocispec.Descriptor, diffID, parent digest.Digest) error {
	rc, n, err := src.Open(archive.BlobPath(l.Digest))
	if err != nil {
		return fmt.Errorf("layer %s: %w", l.Digest, err)
	}
	defer rc.Close()
	if n != l.Size {
		return fmt.Errorf("layer %s: %d bytes in the archive, manifest says %d", l.Digest, n, l.Size)
	}
	_, err = e.PutLayer(ctx, rc, l.Digest, diffID, parent, l.Digest.String())
	return err
}

// selectManifest follows an index entry to the host platform's manifest.
func (e *Engine) selectManifest(src archive.Source, desc ocispec.Descriptor) (ocispec.Descriptor, error) {
	for depth := 0; depth < 4; depth++ {
		if !image.IsIndex(desc.MediaType) {
			return desc, nil
		}
		b, err := readVerified(src, desc)
		if err != nil {
			return desc, err
		}
		ix, err := image.ParseIndex(b)
		if err != nil {
			return desc, fmt.Errorf("%s: %w", desc.Digest, err)
		}
		desc, err = image.SelectPlatform(ix, image.DefaultPlatform())
		if err != nil {
			return desc, err
		}
	}
	return desc, fmt.Errorf("%s: indexes nested too deep", desc.Digest)
}

// readVerified reads a small blob of an OCI layout and checks its digest.
func readVerified(src archive.Source, d ocispec.Descriptor) ([]byte, error) {
	if err := d.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("digest %q: %w", d.Digest, err)
	}
	b, err := archive.ReadSmall(src, archive.BlobPath(d.Digest), image.MaxManifestBytes)
	if err != nil {
		return nil, err
	}
	if got := digest.FromBytes(b); got != d.Digest {
		return nil, fmt.Errorf("blob %s: content has digest %s", d.Digest, got)
	}
	return b, nil
}

// ociRefs names an OCI layout entry: the full name docker/containerd put in
// io.containerd.image.name, else ref.name when it is a full reference. A
// bare tag ("latest") names no repository, so such an image loads untagged,
// as docker does.
func ociRefs(d ocispec.Descriptor) ([]string, error) {
	for _, k := range []string{archive.ImageNameAnnotation, ocispec.AnnotationRefName} {
		v := d.Annotations[k]
		if v == "" || (k == ocispec.AnnotationRefName && !looksLikeName(v)) {
			continue
		}
		return normalizeRefs([]string{v})
	}
	return nil, nil
}

func looksLikeName(s string) bool {
	for _, c := range s {
		if c == '/' || c == ':' || c == '@' {
			return true
		}
	}
	return false
}

func normalizeRefs(in []string) ([]string, error) {
	var out []string
	for _, s := range in {
		r, err := image.ParseRef(s)
		if err != nil {
			return nil, err
		}
		out = append(out, r.String())
	}
	return out, nil
}
