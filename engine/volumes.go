package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"berth/engine/store"
)

var volumeNameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

// Volume is a named volume: volumes/<name>/_data.
type Volume struct {
	Name       string
	CreatedAt  time.Time
	Labels     map[string]string `json:",omitempty"`
	Mountpoint string            `json:"-"`
	Anonymous  bool              `json:",omitempty"`
}

// CreateVolume makes (or returns the existing) volume name.
func (e *Engine) CreateVolume(name string, labels map[string]string) (Volume, error) {
	if name == "" {
		name = newID()
	}
	if !volumeNameRe.MatchString(name) {
		return Volume{}, fmt.Errorf("invalid volume name %q: want [a-zA-Z0-9][a-zA-Z0-9_.-]*", name)
	}
	dir := e.Store.Path("volumes", name)
	if v, err := e.Volume(name); err == nil {
		return v, nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "_data"), 0o755); err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	v := Volume{Name: name, CreatedAt: time.Now().UTC(), Labels: labels}
	b, _ := json.Marshal(v)
	if err := store.WriteFileAtomic(filepath.Join(dir, "volume.json"), b, 0o644); err != nil {
		return Volume{}, err
	}
	v.Mountpoint = filepath.Join(dir, "_data")
	return v, nil
}

// Volume looks one up.
func (e *Engine) Volume(name string) (Volume, error) {
	b, err := os.ReadFile(e.Store.Path("volumes", name, "volume.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Volume{}, fmt.Errorf("no such volume: %s", name)
	}
	if err != nil {
		return Volume{}, err
	}
	var v Volume
	if err := json.Unmarshal(b, &v); err != nil {
		return Volume{}, fmt.Errorf("volume %s: %w", name, err)
	}
	v.Mountpoint = e.Store.Path("volumes", name, "_data")
	return v, nil
}

// Volumes lists them by name.
func (e *Engine) Volumes() ([]Volume, error) {
	ents, _ := os.ReadDir(e.Store.Path("volumes"))
	var out []Volume
	for _, ent := range ents {
		if v, err := e.Volume(ent.Name()); err == nil {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// volumeUsers maps volume names to the containers that mount them.
func (e *Engine) volumeUsers() map[string][]string {
	users := map[string][]string{}
	cs, _ := e.Containers()
	for _, c := range cs {
		for _, m := range c.Record.Host.Mounts {
			if m.Type == "volume" {
				users[m.Source] = append(users[m.Source], c.Record.Name)
			}
		}
	}
	return users
}

// RemoveVolume deletes a volume no container uses (unless force).
func (e *Engine) RemoveVolume(name string, force bool) error {
	if _, err := e.Volume(name); err != nil {
		return err
	}
	if u := e.volumeUsers()[name]; len(u) > 0 && !force {
		return fmt.Errorf("volume %s is in use by container %s", name, u[0])
	}
	if err := os.RemoveAll(e.Store.Path("volumes", name)); err != nil {
		return fmt.Errorf("remove volume %s: %w", name, err)
	}
	return nil
}

// PruneVolumes removes volumes no container uses; with all false, only
// anonymous ones, as docker does.
func (e *Engine) PruneVolumes(all bool) ([]string, error) {
	vs, err := e.Volumes()
	if err != nil {
		return nil, err
	}
	users := e.volumeUsers()
	var out []string
	for _, v := range vs {
		if len(users[v.Name]) > 0 || (!all && !v.Anonymous) {
			continue
		}
		if err := os.RemoveAll(e.Store.Path("volumes", v.Name)); err != nil {
			return out, err
		}
		out = append(out, v.Name)
	}
	return out, nil
}
