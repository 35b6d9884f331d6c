package engine

import (
	"encoding/json"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageConfig is an image's run config as docker shows and builders write
// it: OCI's fields plus Healthcheck, OnBuild and Shell, docker extensions
// that buildah, podman and docker all keep in the config JSON.
type ImageConfig struct {
	ocispec.ImageConfig
	Healthcheck *HealthConfig `json:"Healthcheck,omitempty"`
	OnBuild     []string      `json:"OnBuild,omitempty"`
	Shell       []string      `json:"Shell,omitempty"`
}

// HealthConfig is docker's HEALTHCHECK record; durations in nanoseconds.
type HealthConfig struct {
	Test          []string      `json:",omitempty"`
	Interval      time.Duration `json:",omitempty"`
	Timeout       time.Duration `json:",omitempty"`
	StartPeriod   time.Duration `json:",omitempty"`
	StartInterval time.Duration `json:",omitempty"`
	Retries       int           `json:",omitempty"`
}

// imageConfigOf reads the whole run config from a raw image config.
func imageConfigOf(raw []byte) ImageConfig {
	var c struct {
		Config ImageConfig `json:"config"`
	}
	json.Unmarshal(raw, &c)
	return c.Config
}
