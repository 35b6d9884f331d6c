package build

import (
	"encoding/json"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine"
)

// imageConfig is an image config as docker, buildah and podman write and
// read it: OCI's fields plus Healthcheck, OnBuild and Shell, which the OCI
// type has no room for. The outer Config shadows the embedded one in JSON.
type imageConfig struct {
	ocispec.Image
	Config engine.ImageConfig `json:"config,omitempty"`
}

type healthConfig = engine.HealthConfig

func parseConfig(raw []byte) (imageConfig, error) {
	var c imageConfig
	err := json.Unmarshal(raw, &c)
	return c, err
}

// clone copies c deeply enough that a stage can change it while another
// stage built FROM the same state keeps the original.
func (c imageConfig) clone() imageConfig {
	b, _ := json.Marshal(c)
	var out imageConfig
	json.Unmarshal(b, &out)
	return out
}

// defaultPath is the PATH docker gives images that set none (FROM scratch).
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// setEnv sets k=v in env, replacing an earlier k.
func setEnv(env []string, k, v string) []string {
	for i, kv := range env {
		if name, _, _ := cut(kv); name == k {
			out := append([]string(nil), env...)
			out[i] = k + "=" + v
			return out
		}
	}
	return append(append([]string(nil), env...), k+"="+v)
}

func cut(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}
