package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/events"
	"berth/engine/image"
	"berth/engine/registry"
)

// RegistryOptions configure registry access for this engine.
type RegistryOptions struct {
	Insecure    []string
	NoTLSVerify bool
	Mirrors     []string
}

// Registry returns the client this engine pulls and pushes with:
// credentials from docker's config.json, insecure registries from
// BERTH_INSECURE_REGISTRIES (comma-separated) and the engine's options.
func (e *Engine) Registry() *registry.Client {
	e.regOnce.Do(func() {
		o := registry.Options{Insecure: e.RegistryOpts.Insecure, NoTLSVerify: e.RegistryOpts.NoTLSVerify,
			Mirrors: e.RegistryOpts.Mirrors}
		if v := os.Getenv("BERTH_INSECURE_REGISTRIES"); v != "" {
			o.Insecure = append(o.Insecure, strings.Split(v, ",")...)
		}
		o.Credentials = func(host string) (string, string) {
			cfg, err := registry.LoadDockerConfig(registry.DockerConfigPath())
			if err != nil {
				return "", ""
			}
			return cfg.Lookup(host)
		}
		e.reg = registry.New(o)
	})
	return e.reg
}

// PullOptions are `berth pull`'s flags.
type PullOptions struct {
	Platform string // os/arch[/variant]; empty: the host's
	AllTags  bool
}

// Pull fetches an image and unpacks it, streaming each layer through digest
// check, decompression, diffID check and apply in one pass. The image is
// named only once all of it is stored and verified.
func (e *Engine) Pull(ctx context.Context, name string, o PullOptions) ([]digest.Digest, error) {
	ref, err := image.ParseRef(name)
	if err != nil {
		return nil, fmt.Errorf("pull: %w", err)
	}
	plat := image.DefaultPlatform()
	if o.Platform != "" {
		if plat, err = image.ParsePlatform(o.Platform); err != nil {
			return nil, fmt.Errorf("pull: --platform: %w", err)
		}
	}
	refs := []image.Ref{ref}
	if o.AllTags {
		if ref.Digest() != "" {
			return nil, fmt.Errorf("pull: --all-tags takes a repository name, not a digest")
		}
		tags, err := e.Registry().Tags(ctx, registry.RepoOf(ref))
		if err != nil {
			return nil, fmt.Errorf("pull %s: %w", ref.Repository(), err)
		}
		refs = nil
		for _, t := range tags {
			r, err := ref.WithTag(t)
			if err == nil {
				refs = append(refs, r)
			}
		}
	}
	var ids []digest.Digest
	for _, r := range refs {
		id, err := e.pullOne(ctx, r, plat)
		if err != nil {
			return ids, fmt.Errorf("pull %s: %w", r.Familiar(), err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (e *Engine) pullOne(ctx context.Context, ref image.Ref, plat ocispec.Platform) (id digest.Digest, err error) {
	c := e.Registry()
	reference := ref.Tag()
	if d := ref.Digest(); d != "" {
		reference = d.String()
	}
	// Docker Hub images come from the configured mirrors first, in order,
	// then from Docker Hub itself; whichever answers serves the blobs too.
	repos := []registry.Repo{registry.RepoOf(ref)}
	if ref.Domain() == "docker.io" && len(e.RegistryOpts.Mirrors) > 0 {
		var mirrors []registry.Repo
		for _, m := range e.RegistryOpts.Mirrors {
			mirrors = append(mirrors, registry.Repo{Host: strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(m, "https://"), "http://"), "/"), Path: ref.Path()})
		}
		repos = append(mirrors, repos...)
	}
	var repo registry.Repo
	var mb []byte
	var desc ocispec.Descriptor
	for _, r := range repos {
		repo = r
		if mb, desc, err = c.Manifest(ctx, r, reference); err == nil {
			break
		}
	}
	if err != nil {
		return "", err
	}
	for depth := 0; image.IsIndex(desc.MediaType); depth++ {
		ix, err := image.ParseIndex(mb)
		if err != nil || depth > 3 {
			return "", fmt.Errorf("index %s: %v", desc.Digest, err)
		}
		sel, err := image.SelectPlatform(ix, plat)
		if err != nil {
			return "", err
		}
		if mb, desc, err = c.Manifest(ctx, repo, sel.Digest.String()); err != nil {
			return "", err
		}
		if desc.Digest != sel.Digest {
			return "", fmt.Errorf("manifest %s: registry served %s", sel.Digest, desc.Digest)
		}
	}
	m, err := image.ParseManifest(mb)
	if err != nil {
		return "", fmt.Errorf("%s: %w", desc.Digest, err)
	}
	release, err := e.Store.Lease()
	if err != nil {
		return "", err
	}
	defer release()
	cb, err := e.fetchSmall(ctx, repo, m.Config)
	if err != nil {
		return "", err
	}
	cfg, err := image.ParseConfig(cb)
	if err != nil {
		return "", fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		return "", fmt.Errorf("config %s lists %d layers, manifest %d", m.Config.Digest, len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
	chains := image.ChainIDs(cfg.RootFS.DiffIDs)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3)
	errs := make([]error, len(m.Layers))
	for i, l := range m.Layers {
		short := ShortID(l.Digest)
		if e.haveLayer(l.Digest, chains[i]) {
			e.publish(events.Event{Type: events.Layer, Action: "progress", ID: short, Status: "Already exists", Current: l.Size, Total: l.Size})
			continue
		}
		e.publish(events.Event{Type: events.Layer, Action: "progress", ID: short, Status: "Waiting", Total: l.Size})
		var parent digest.Digest
		if i > 0 {
			parent = chains[i-1]
		}
		wg.Add(1)
		go func(i int, l ocispec.Descriptor) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = e.pullLayer(ctx, repo, l, cfg.RootFS.DiffIDs[i], parent)
		}(i, l)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return "", err
		}
	}
	if _, err := e.Store.PutBytes(cb); err != nil {
		return "", err
	}
	if _, err := e.commitImage(mb, desc.MediaType, m.Config.Digest, []string{ref.String()}); err != nil {
		return "", err
	}
	e.publish(events.Event{Type: events.Image, Action: "pull", ID: m.Config.Digest.String(), Name: ref.String(), Status: desc.Digest.String()})
	return m.Config.Digest, nil
}

// fetchSmall gets a config blob (from the store when it is there).
func (e *Engine) fetchSmall(ctx context.Context, repo registry.Repo, d ocispec.Descriptor) ([]byte, error) {
	if _, ok := e.Store.HasBlob(d.Digest); ok {
		return e.Store.ReadBlob(d.Digest, image.MaxManifestBytes)
	}
	if d.Size > image.MaxManifestBytes {
		return nil, fmt.Errorf("config %s: %d bytes is over the limit", d.Digest, d.Size)
	}
	br, err := e.Registry().OpenBlob(ctx, repo, d.Digest, d.Size)
	if err != nil {
		return nil, err
	}
	defer br.Close()
	b, err := io.ReadAll(io.LimitReader(br, image.MaxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", d.Digest, err)
	}
	if got := digest.FromBytes(b); got != d.Digest {
		return nil, fmt.Errorf("config %s: registry sent content with digest %s", d.Digest, got)
	}
	return b, nil
}

// progressReader reports bytes read as events, a few times a second.
type progressReader struct {
	r      io.Reader
	e      *Engine
	id     string
	status string
	total  int64
	n      int64
	last   int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.n += int64(n)
	if p.n-p.last >= 512<<10 || err == io.EOF {
		p.last = p.n
		p.e.publish(events.Event{Type: events.Layer, Action: "progress", ID: p.id, Status: p.status, Current: p.n, Total: p.total})
	}
	return n, err
}

func (e *Engine) pullLayer(ctx context.Context, repo registry.Repo, l ocispec.Descriptor, diffID, parent digest.Digest) error {
	if !image.IsLayer(l.MediaType) {
		return fmt.Errorf("layer %s: unsupported media type %q", l.Digest, l.MediaType)
	}
	br, err := e.Registry().OpenBlob(ctx, repo, l.Digest, l.Size)
	if err != nil {
		return err
	}
	defer br.Close()
	short := ShortID(l.Digest)
	pr := &progressReader{r: br, e: e, id: short, status: "Downloading", total: l.Size}
	if _, err := e.PutLayer(ctx, pr, l.Digest, diffID, parent, l.Digest.String()); err != nil {
		return err
	}
	e.publish(events.Event{Type: events.Layer, Action: "progress", ID: short, Status: "Pull complete", Current: l.Size, Total: l.Size})
	return nil
}
