package engine

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"berth/engine/events"
	"berth/engine/monitor"
)

// CreateOptions are `berth create`/`run`'s flags, parsed.
type CreateOptions struct {
	Image         string
	Name          string
	Cmd           []string
	Entrypoint    *[]string // nil: the image's; empty: none
	Env           []string
	Workdir       string
	User          string
	Hostname      string
	Tty           bool
	OpenStdin     bool
	Labels        map[string]string
	StopSignal    string
	StopTimeout   *int
	Healthcheck   *Healthcheck
	NoHealthcheck bool
	Aliases       []string // --network-alias
	Expose        []string // --expose
	Host          HostConfig
}

// CreateContainer makes a container from an image; it does not start it.
func (e *Engine) CreateContainer(ctx context.Context, o CreateOptions) (string, error) {
	im, err := e.ResolveImage(ctx, o.Image)
	if err != nil {
		return "", err
	}
	if o.Name != "" && !nameRe.MatchString(o.Name) {
		return "", fmt.Errorf("invalid container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", o.Name)
	}
	ic := im.Config.Config
	cfg := ContainerConfig{Cmd: ic.Cmd, Entrypoint: ic.Entrypoint, Env: mergeEnv(ic.Env, o.Env),
		WorkingDir: ic.WorkingDir, User: ic.User, Hostname: o.Hostname, Tty: o.Tty, OpenStdin: o.OpenStdin,
		Labels: mergeLabels(ic.Labels, o.Labels), StopSignal: ic.StopSignal, StopTimeout: o.StopTimeout}
	if o.Entrypoint != nil {
		cfg.Entrypoint = *o.Entrypoint
		if len(o.Cmd) == 0 {
			cfg.Cmd = nil // docker: a new entrypoint drops the image's CMD
		}
	}
	if len(o.Cmd) > 0 {
		cfg.Cmd = o.Cmd
	}
	if len(cfg.Entrypoint)+len(cfg.Cmd) == 0 {
		return "", fmt.Errorf("no command specified: image %s has neither ENTRYPOINT nor CMD", o.Image)
	}
	if o.Workdir != "" {
		cfg.WorkingDir = o.Workdir
	}
	if o.User != "" {
		cfg.User = o.User
	}
	if o.StopSignal != "" {
		cfg.StopSignal = o.StopSignal
	}
	if _, err := ParseSignal(cfg.StopSignal); cfg.StopSignal != "" && err != nil {
		return "", fmt.Errorf("--stop-signal: %w", err)
	}
	cfg.Healthcheck = o.Healthcheck
	if cfg.Healthcheck == nil && !o.NoHealthcheck {
		// OCI's config type has no HEALTHCHECK; docker's raw config does.
		cfg.Healthcheck = imageHealthcheck(im.RawCfg)
	}
	switch o.Host.RestartPolicy.Name {
	case "", "no", "always", "on-failure", "unless-stopped":
	default:
		return "", fmt.Errorf("invalid --restart %q: want no, always, on-failure[:N] or unless-stopped", o.Host.RestartPolicy.Name)
	}
	if o.Host.AutoRemove && o.Host.RestartPolicy.Name != "" && o.Host.RestartPolicy.Name != "no" {
		return "", fmt.Errorf("conflicting options: --restart and --rm")
	}
	for _, m := range o.Host.Mounts {
		if m.Type == "bind" {
			if _, err := os.Stat(m.Source); err != nil {
				return "", fmt.Errorf("invalid mount %s:%s: bind source path does not exist: %s", m.Source, m.Destination, m.Source)
			}
		}
	}
	for p := range ic.ExposedPorts {
		o.Host.ExposedPorts = append(o.Host.ExposedPorts, p)
	}
	for _, p := range o.Expose {
		if !strings.Contains(p, "/") {
			p += "/tcp"
		}
		o.Host.ExposedPorts = append(o.Host.ExposedPorts, p)
	}
	if kind, target := netMode(o.Host.NetworkMode); kind == "container" {
		if _, err := e.Container(target); err != nil {
			return "", fmt.Errorf("--network container:%s: %w", target, err)
		}
	} else if kind == "bridge" {
		if _, err := e.Networks().Get(target); err != nil {
			return "", fmt.Errorf("--network: %w", err)
		}
	}
	unlock, err := e.Store.Lock("containers")
	if err != nil {
		return "", err
	}
	defer unlock()
	existing, err := e.Containers()
	if err != nil {
		return "", err
	}
	if o.Name == "" {
		for i := 0; i < 100; i++ {
			o.Name = randomName()
			if !nameTaken(existing, o.Name) {
				break
			}
			o.Name += "_" + newID()[:4]
		}
	}
	if nameTaken(existing, strings.TrimPrefix(o.Name, "/")) {
		return "", fmt.Errorf("the container name %q is already in use", o.Name)
	}
	id := newID()
	dir := e.containerDir(id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create container: %w", err)
	}
	for i, m := range o.Host.Mounts {
		if m.Type == "volume" {
			anon := m.Source == ""
			v, err := e.CreateVolume(m.Source, nil)
			if err != nil {
				os.RemoveAll(dir)
				return "", err
			}
			if anon {
				e.markAnonymous(v.Name)
			}
			o.Host.Mounts[i].Source = v.Name
		}
	}
	nets, err := e.allocateNetworks(id, &o.Host, o.Aliases)
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	rec := ContainerRecord{ID: id, Name: strings.TrimPrefix(o.Name, "/"), Created: time.Now().UTC(), Image: o.Image,
		ImageID: im.ID, Layers: im.ChainIDs(), Config: cfg, Host: o.Host, Networks: nets}
	undo := func() {
		for name := range nets {
			e.Networks().Release(name, id)
		}
		os.RemoveAll(dir)
	}
	if err := monitor.WriteState(dir, monitor.State{Status: monitor.Created}); err != nil {
		undo()
		return "", err
	}
	// The record goes last: a container without one is invisible and
	// is cleaned up as a leftover.
	if err := e.writeRecord(rec); err != nil {
		undo()
		return "", err
	}
	e.publish(events.Event{Type: events.Container, Action: "create", ID: id, Name: rec.Name})
	return id, nil
}

func nameTaken(cs []ContainerInfo, name string) bool {
	for _, c := range cs {
		if c.Record.Name == name {
			return true
		}
	}
	return false
}

// mergeEnv overrides image variables with the user's, keeping order.
func mergeEnv(base, over []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range over {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, b := range out {
			if bk, _, _ := strings.Cut(b, "="); bk == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func mergeLabels(a, b map[string]string) map[string]string {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func (e *Engine) markAnonymous(name string) {
	v, err := e.Volume(name)
	if err != nil {
		return
	}
	v.Anonymous = true
	b, _ := jsonMarshal(v)
	os.WriteFile(e.Store.Path("volumes", name, "volume.json"), b, 0o644)
}
