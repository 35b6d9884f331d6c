// Package engine is the API the CLI and the TUI share: plain methods that
// take a context and return typed results, over the store, the layer
// machinery and the image model. Long work reports progress on Events.
//
// The engine never prints and never imports the tui or views packages.
package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"berth/engine/events"
	"berth/engine/layer"
	"berth/engine/registry"
	"berth/engine/store"
)

// Engine is one open berth root.
type Engine struct {
	Store        *store.Store
	Events       *events.Bus
	RegistryOpts RegistryOptions
	root         bool // running as root: overlay whiteouts, owners, devices
	regOnce      sync.Once
	reg          *registry.Client
}

// DefaultRoot is /var/lib/berth for root, $XDG_DATA_HOME/berth otherwise;
// BERTH_ROOT overrides both.
func DefaultRoot() string {
	if r := os.Getenv("BERTH_ROOT"); r != "" {
		return r
	}
	if os.Geteuid() == 0 {
		return "/var/lib/berth"
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "berth")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".local", "share", "berth")
}

// Open opens (creating if needed) the berth root.
func Open(root string) (*Engine, error) {
	s, err := store.Open(root)
	if err != nil {
		return nil, err
	}
	return &Engine{Store: s, Events: &events.Bus{}, root: os.Geteuid() == 0}, nil
}

// applyOptions is how this process may unpack layers.
func (e *Engine) applyOptions(name string) layer.ApplyOptions {
	o := layer.ApplyOptions{Name: name}
	if e.root {
		o.SameOwner, o.AllowDevices = true, true
	} else {
		// Without root there are no overlay whiteouts to make; the .wh.
		// files are kept so the layer's meaning is not lost.
		o.Whiteouts = layer.KeepWhiteouts
	}
	return o
}

func (e *Engine) publish(ev events.Event) { e.Events.Publish(ev) }

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }
