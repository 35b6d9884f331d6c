// Package config reads berth's user configuration file,
// $XDG_CONFIG_HOME/berth/config.yaml (BERTH_CONFIG overrides): registry
// settings now, key bindings and theme as the TUI grows. A key berth does
// not know is an error naming it, so a typo never passes silently.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Config is the whole file.
type Config struct {
	Registries Registries `yaml:"registries"`
	// Keys rebinds TUI actions: action name -> keys (see keymap).
	Keys map[string][]string `yaml:"keys"`
	// Theme is dark (default), light or high-contrast.
	Theme string `yaml:"theme"`
}

// Registries configures registry access.
type Registries struct {
	// Insecure registries are reached without TLS verification, falling
	// back to HTTP (loopback ones always are).
	Insecure []string `yaml:"insecure"`
	// Mirrors are tried in order before Docker Hub for docker.io images.
	Mirrors []string `yaml:"mirrors"`
}

// Path is where the file is read from.
func Path() string {
	if p := os.Getenv("BERTH_CONFIG"); p != "" {
		return p
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "berth", "config.yaml")
}

// Load reads path; a missing file is the empty configuration.
func Load(path string) (*Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %v", path, err)
	}
	return &c, nil
}
