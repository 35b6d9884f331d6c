package engine

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/events"
	"berth/engine/image"
)

// ImportOptions mirrors `docker import`'s flags.
type ImportOptions struct {
	Ref     string // optional name:tag
	Message string // history comment
	Source  string // shown in history, e.g. the file name
}

// Import makes a one-layer image from a root filesystem tar (plain, gzip or
// zstd), as `docker import` does.
func (e *Engine) Import(ctx context.Context, r io.Reader, opts ImportOptions) (digest.Digest, error) {
	var refs []string
	if opts.Ref != "" {
		ref, err := image.ParseRef(opts.Ref)
		if err != nil {
			return "", fmt.Errorf("import: %w", err)
		}
		refs = []string{ref.String()}
	}
	release, err := e.Store.Lease()
	if err != nil {
		return "", err
	}
	defer release()
	name := opts.Source
	if name == "" {
		name = "import"
	}
	sl, err := e.PutLayer(ctx, r, "", "", "", name)
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	now := time.Now().UTC()
	comment := opts.Message
	if comment == "" {
		comment = "Imported from " + name
	}
	cfg := ocispec.Image{
		Created:  &now,
		Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{sl.DiffID}},
		History:  []ocispec.History{{Created: &now, CreatedBy: "berth import " + name, Comment: comment}},
	}
	cd, err := e.storeImage(&cfg, []ocispec.Descriptor{sl.Desc}, refs)
	if err != nil {
		return "", fmt.Errorf("import: %w", err)
	}
	e.publish(events.Event{Type: events.Image, Action: "import", ID: cd.String(), Name: first(refs)})
	return cd, nil
}
