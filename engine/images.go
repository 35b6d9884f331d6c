package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/image"
	"berth/engine/store"
)

// configAnnotation caches an entry's config digest (the image ID) in the
// index, so listing and ID lookups need not open every manifest.
const configAnnotation = "io.berth.image.config"

// ErrImageNotFound is returned (wrapped) when a name or ID matches nothing.
var ErrImageNotFound = errors.New("no such image")

// Image is a stored image, resolved.
type Image struct {
	ID       digest.Digest      // config digest, as docker's image ID
	Manifest ocispec.Descriptor // without annotations
	Body     *ocispec.Manifest
	Config   *ocispec.Image
	RawCfg   []byte
	Refs     []string // full references naming it
}

// ChainIDs of the image's layers, bottom first.
func (im *Image) ChainIDs() []digest.Digest { return image.ChainIDs(im.Config.RootFS.DiffIDs) }

// ShortID is the 12-hex-digit ID docker prints.
func ShortID(d digest.Digest) string {
	e := d.Encoded()
	if len(e) > 12 {
		return e[:12]
	}
	return e
}

// loadImage reads a stored image's manifest and config.
func (e *Engine) loadImage(desc ocispec.Descriptor) (*Image, error) {
	mb, err := e.Store.ReadBlob(desc.Digest, image.MaxManifestBytes)
	if err != nil {
		return nil, err
	}
	m, err := image.ParseManifest(mb)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", desc.Digest, err)
	}
	cb, err := e.Store.ReadBlob(m.Config.Digest, image.MaxManifestBytes)
	if err != nil {
		return nil, err
	}
	cfg, err := image.ParseConfig(cb)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("image %s: config lists %d layers, manifest %d", m.Config.Digest, len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	d := desc
	d.Annotations = nil
	return &Image{ID: m.Config.Digest, Manifest: d, Body: m, Config: cfg, RawCfg: cb}, nil
}

// ResolveImage finds an image by reference (busybox, busybox:1.36,
// name@sha256:...), by full or short ID, as docker does.
func (e *Engine) ResolveImage(ctx context.Context, name string) (*Image, error) {
	ix, err := e.Store.ReadIndex()
	if err != nil {
		return nil, err
	}
	desc, err := resolveIn(ix, name)
	if err != nil {
		return nil, err
	}
	im, err := e.loadImage(desc)
	if err != nil {
		return nil, err
	}
	im.Refs = ix.RefsOf(desc.Digest)
	return im, nil
}

func resolveIn(ix *store.Index, name string) (ocispec.Descriptor, error) {
	ref, refErr := image.ParseRef(name)
	if refErr == nil {
		if d := ref.Digest(); d != "" {
			for _, m := range ix.Manifests {
				if m.Digest == d {
					return m, nil
				}
			}
		} else if m, ok := ix.Lookup(ref.String()); ok {
			return m, nil
		}
	}
	if image.LooksLikeID(name) {
		prefix := "sha256:" + strings.TrimPrefix(name, "sha256:")
		var found *ocispec.Descriptor
		for i, m := range ix.Manifests {
			id := m.Annotations[configAnnotation]
			if strings.HasPrefix(id, prefix) {
				if found != nil && found.Digest != m.Digest {
					return ocispec.Descriptor{}, fmt.Errorf("image ID prefix %q is ambiguous", name)
				}
				found = &ix.Manifests[i]
			}
		}
		if found != nil {
			return *found, nil
		}
	}
	if refErr != nil && !image.LooksLikeID(name) {
		return ocispec.Descriptor{}, refErr
	}
	return ocispec.Descriptor{}, fmt.Errorf("%w: %s", ErrImageNotFound, name)
}

// ImageSummary is one row of `berth images`.
type ImageSummary struct {
	ID          digest.Digest
	RepoTags    []string // full references with tags
	RepoDigests []string
	Created     time.Time
	Size        int64 // uncompressed layer bytes
	Containers  int
}

// Images lists stored images, newest first, with how many containers use
// each.
func (e *Engine) Images(ctx context.Context) ([]ImageSummary, error) {
	return e.images(ctx, true)
}

// ImagesWithoutUsage is Images with Containers left at -1. It reads no
// container records, which with a thousand containers are most of the cost
// of a listing that does not show them.
func (e *Engine) ImagesWithoutUsage(ctx context.Context) ([]ImageSummary, error) {
	return e.images(ctx, false)
}

func (e *Engine) images(ctx context.Context, usage bool) ([]ImageSummary, error) {
	ix, err := e.Store.ReadIndex()
	if err != nil {
		return nil, err
	}
	var users map[digest.Digest]int
	if usage {
		if users, err = e.containerImages(); err != nil {
			return nil, err
		}
	}
	byDigest := map[digest.Digest]*ImageSummary{}
	var out []*ImageSummary
	for _, m := range ix.Manifests {
		s, ok := byDigest[m.Digest]
		if !ok {
			im, err := e.loadImage(m)
			if err != nil {
				return nil, err
			}
			s = &ImageSummary{ID: im.ID, Size: e.imageSize(im), Containers: -1}
			if usage {
				s.Containers = users[im.ID]
			}
			if im.Config.Created != nil {
				s.Created = *im.Config.Created
			}
			byDigest[m.Digest] = s
			out = append(out, s)
		}
		if r := store.Ref(m); r != "" {
			ref, err := image.ParseRef(r)
			if err != nil {
				continue
			}
			if ref.Digest() != "" {
				s.RepoDigests = append(s.RepoDigests, r)
				continue
			}
			s.RepoTags = append(s.RepoTags, r)
			if dr, err := ref.WithDigest(m.Digest); err == nil {
				s.RepoDigests = append(s.RepoDigests, dr.String())
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	res := make([]ImageSummary, len(out))
	for i, s := range out {
		sort.Strings(s.RepoTags)
		res[i] = *s
	}
	return res, nil
}

// imageSize is the uncompressed size of the image's layers, falling back to
// the blob size for a layer that is not unpacked.
func (e *Engine) imageSize(im *Image) int64 {
	var n int64
	for i, c := range im.ChainIDs() {
		if li, ok := e.Store.Layer(c); ok {
			n += li.Size
		} else {
			n += im.Body.Layers[i].Size
		}
	}
	return n
}

// commitImage stores manifest bytes (whose blobs must already be stored)
// and points refs at it; with no refs the image is kept dangling.
func (e *Engine) commitImage(mb []byte, mediaType string, configDigest digest.Digest, refs []string) (ocispec.Descriptor, error) {
	d, err := e.Store.PutBytes(mb)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(mb)),
		Annotations: map[string]string{configAnnotation: configDigest.String()}}
	err = e.Store.UpdateIndex(func(ix *store.Index) error {
		if len(refs) == 0 {
			ix.AddDangling(desc)
		}
		for _, r := range refs {
			ix.Set(r, desc)
		}
		return nil
	})
	return desc, err
}

// storeImage writes an image berth made (import, commit): its config, an
// OCI manifest over layers already stored, and the names.
func (e *Engine) storeImage(cfg *ocispec.Image, layers []ocispec.Descriptor, refs []string) (digest.Digest, error) {
	cb, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	return e.StoreImageConfig(cb, layers, refs)
}

// StoreImageConfig stores an image whose config berth wrote as bytes (the
// builder's carries docker's extra fields, Healthcheck and OnBuild, that the
// OCI type drops) over layers already stored, and names it. An image that
// already exists under every ref is left as it is: a rebuild from cache
// writes nothing.
func (e *Engine) StoreImageConfig(cb []byte, layers []ocispec.Descriptor, refs []string) (digest.Digest, error) {
	cd, err := e.Store.PutBytes(cb)
	if err != nil {
		return "", err
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: cd, Size: int64(len(cb))},
		Layers: layers}
	m.SchemaVersion = 2
	mb, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	if e.alreadyNamed(digest.FromBytes(mb), refs) {
		return cd, nil
	}
	if _, err := e.commitImage(mb, m.MediaType, cd, refs); err != nil {
		return "", err
	}
	return cd, nil
}

func (e *Engine) alreadyNamed(md digest.Digest, refs []string) bool {
	ix, err := e.Store.ReadIndex()
	if err != nil || !ix.Has(md) {
		return false
	}
	if _, ok := e.Store.HasBlob(md); !ok {
		return false
	}
	for _, r := range refs {
		if d, ok := ix.Lookup(r); !ok || d.Digest != md {
			return false
		}
	}
	return true
}
