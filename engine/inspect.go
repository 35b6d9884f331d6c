package engine

import (
	"context"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/image"
)

// ImageInspect is `berth image inspect`'s JSON: docker's field names, so
// scripts written against `docker image inspect` keep working.
type ImageInspect struct {
	ID           string `json:"Id"`
	RepoTags     []string
	RepoDigests  []string
	Created      *time.Time `json:",omitempty"`
	Author       string     `json:",omitempty"`
	Config       ImageConfig
	Architecture string
	Variant      string `json:",omitempty"`
	Os           string
	Size         int64
	RootFS       struct {
		Type   string
		Layers []digest.Digest
	}
	Manifest struct {
		Digest    digest.Digest
		MediaType string
		Layers    []ocispec.Descriptor
	}
}

// InspectImage describes one image.
func (e *Engine) InspectImage(ctx context.Context, name string) (*ImageInspect, error) {
	im, err := e.ResolveImage(ctx, name)
	if err != nil {
		return nil, err
	}
	out := &ImageInspect{ID: im.ID.String(), RepoTags: []string{}, RepoDigests: []string{},
		Created: im.Config.Created, Author: im.Config.Author, Config: imageConfigOf(im.RawCfg),
		Architecture: im.Config.Architecture, Variant: im.Config.Variant, Os: im.Config.OS, Size: e.imageSize(im)}
	for _, r := range im.Refs {
		ref, err := image.ParseRef(r)
		if err != nil {
			continue
		}
		if ref.Digest() == "" {
			out.RepoTags = append(out.RepoTags, ref.Familiar())
		}
		if dr, err := ref.WithDigest(im.Manifest.Digest); err == nil {
			out.RepoDigests = append(out.RepoDigests, dr.Familiar())
		}
	}
	out.RootFS.Type = "layers"
	out.RootFS.Layers = im.Config.RootFS.DiffIDs
	out.Manifest.Digest = im.Manifest.Digest
	out.Manifest.MediaType = im.Manifest.MediaType
	out.Manifest.Layers = im.Body.Layers
	return out, nil
}

// HistoryEntry is one row of `berth history`, newest first.
type HistoryEntry struct {
	ID        string // image ID on the top row, "<missing>" below, as docker
	Created   time.Time
	CreatedBy string
	Size      int64
	Comment   string
	Empty     bool // made no layer
}

// History lists how the image was made.
func (e *Engine) History(ctx context.Context, name string) ([]HistoryEntry, error) {
	im, err := e.ResolveImage(ctx, name)
	if err != nil {
		return nil, err
	}
	chains := im.ChainIDs()
	hist := im.Config.History
	if len(hist) == 0 {
		// Images without history still have layers worth listing.
		for range chains {
			hist = append(hist, ocispec.History{})
		}
	}
	var out []HistoryEntry
	li := 0
	for _, h := range hist {
		he := HistoryEntry{ID: "<missing>", CreatedBy: h.CreatedBy, Comment: h.Comment, Empty: h.EmptyLayer}
		if h.Created != nil {
			he.Created = *h.Created
		}
		if !h.EmptyLayer && li < len(chains) {
			if l, ok := e.Store.Layer(chains[li]); ok {
				he.Size = l.Size
			} else {
				he.Size = im.Body.Layers[li].Size
			}
			li++
		}
		out = append(out, he)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) > 0 {
		out[0].ID = im.ID.String()
	}
	return out, nil
}

// ID2 is the image ID as a digest (for short forms).
func (i *ImageInspect) ID2() digest.Digest { return digest.Digest(i.ID) }
