package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/cgroups"
	"berth/engine/events"
	"berth/engine/image"
	"berth/engine/layer"
)

// CommitOptions are `berth commit`'s flags.
type CommitOptions struct {
	Ref     string
	Author  string
	Message string
	Pause   bool
}

// Commit makes a new image from a container: its image plus one layer with
// the container's changes, and its command and environment as the config.
func (e *Engine) Commit(ctx context.Context, ref string, o CommitOptions) (digest.Digest, error) {
	ci, err := e.Container(ref)
	if err != nil {
		return "", err
	}
	var refs []string
	if o.Ref != "" {
		r, err := image.ParseRef(o.Ref)
		if err != nil {
			return "", fmt.Errorf("commit: %w", err)
		}
		refs = []string{r.String()}
	}
	base, err := e.ResolveImage(ctx, ci.Record.ImageID.String())
	if err != nil {
		return "", fmt.Errorf("commit %s: its image is gone: %w", ci.Record.Name, err)
	}
	if o.Pause && ci.State.Status == "running" && len(ci.State.CgroupPaths) > 0 {
		cg := cgroups.Load(ci.State.CgroupPaths)
		if cg.Freeze() == nil {
			defer cg.Thaw()
		}
	}
	release, err := e.Store.Lease()
	if err != nil {
		return "", err
	}
	defer release()
	tmp, err := os.CreateTemp(e.Store.Path("tmp"), "commit-")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	upper := filepath.Join(e.containerDir(ci.Record.ID), "upper")
	skip := func(rel string) bool {
		fi, err := os.Lstat(filepath.Join(upper, rel))
		return err == nil && mountpointStub(rel, fi)
	}
	wr, err := layer.Diff(ctx, tmp, upper, layer.DiffOptions{Compression: layer.Gzip, Skip: skip})
	if err != nil {
		return "", fmt.Errorf("commit %s: %w", ci.Record.Name, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	chains := base.ChainIDs()
	var parent digest.Digest
	if len(chains) > 0 {
		parent = chains[len(chains)-1]
	}
	sl, err := e.PutLayer(ctx, tmp, wr.Digest, wr.DiffID, parent, "commit of "+ci.Record.Name)
	if err != nil {
		return "", err
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(base.RawCfg, &cfg); err != nil {
		return "", err
	}
	now := time.Now().UTC()
	c := ci.Record.Config
	cfg.Created, cfg.Author = &now, o.Author
	cfg.Config.Cmd, cfg.Config.Entrypoint, cfg.Config.Env = c.Cmd, c.Entrypoint, c.Env
	cfg.Config.WorkingDir, cfg.Config.User, cfg.Config.Labels = c.WorkingDir, c.User, c.Labels
	cfg.RootFS.DiffIDs = append(append([]digest.Digest{}, cfg.RootFS.DiffIDs...), sl.DiffID)
	cfg.History = append(cfg.History, ocispec.History{Created: &now, Author: o.Author, Comment: o.Message,
		CreatedBy: "berth commit " + ci.Record.Name})
	cd, err := e.storeImage(&cfg, append(append([]ocispec.Descriptor{}, base.Body.Layers...), sl.Desc), refs)
	if err != nil {
		return "", err
	}
	e.publish(events.Event{Type: events.Image, Action: "commit", ID: cd.String(), Name: first(refs)})
	return cd, nil
}

// Export writes the container's merged filesystem as a tar, as `docker
// export`: no image history, no mounted filesystems.
func (e *Engine) Export(ctx context.Context, ref string, w io.Writer) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	return e.withRootfs(ci, func(root string) error {
		skip := mountSkipper(ci)
		_, err := layer.Diff(ctx, w, root, layer.DiffOptions{Skip: skip})
		if err != nil {
			return fmt.Errorf("export %s: %w", ci.Record.Name, err)
		}
		return nil
	})
}

// Rename changes a container's name.
func (e *Engine) Rename(ctx context.Context, ref, name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("invalid container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name)
	}
	unlock, err := e.Store.Lock("containers")
	if err != nil {
		return err
	}
	defer unlock()
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	all, err := e.Containers()
	if err != nil {
		return err
	}
	if nameTaken(all, name) {
		return fmt.Errorf("the container name %q is already in use", name)
	}
	old := ci.Record.Name
	ci.Record.Name = name
	if err := e.writeRecord(ci.Record); err != nil {
		return err
	}
	e.publish(events.Event{Type: events.Container, Action: "rename", ID: ci.Record.ID, Name: name, Status: old})
	return nil
}
