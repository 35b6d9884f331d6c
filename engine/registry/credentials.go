package registry

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"berth/engine/store"
)

// dockerHubKey is the key docker's config.json uses for Docker Hub.
const dockerHubKey = "https://index.docker.io/v1/"

// DockerConfig is docker's ~/.docker/config.json: berth reads and writes
// the same credentials docker does, leaving every other key alone.
type DockerConfig struct {
	path string
	raw  map[string]json.RawMessage
}

type authEntry struct {
	Auth string `json:"auth,omitempty"`
}

// DockerConfigPath is $DOCKER_CONFIG/config.json or ~/.docker/config.json.
func DockerConfigPath() string {
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".docker", "config.json")
}

// LoadDockerConfig reads path (a missing file is an empty config).
func LoadDockerConfig(path string) (*DockerConfig, error) {
	d := &DockerConfig{path: path, raw: map[string]json.RawMessage{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("docker config: %w", err)
	}
	if err := json.Unmarshal(b, &d.raw); err != nil {
		return nil, fmt.Errorf("docker config %s: %w", path, err)
	}
	return d, nil
}

func configKey(host string) string {
	if host == DockerHub || host == "docker.io" || host == "index.docker.io" {
		return dockerHubKey
	}
	return host
}

func (d *DockerConfig) field(name string, v any) {
	if b, ok := d.raw[name]; ok {
		json.Unmarshal(b, v)
	}
}

// helper names the credential helper for host, if any.
func (d *DockerConfig) helper(host string) string {
	var helpers map[string]string
	d.field("credHelpers", &helpers)
	if h, ok := helpers[configKey(host)]; ok {
		return h
	}
	if h, ok := helpers[host]; ok {
		return h
	}
	var store string
	d.field("credsStore", &store)
	return store
}

// Lookup returns the credentials for host ("" if none).
func (d *DockerConfig) Lookup(host string) (string, string) {
	if h := d.helper(host); h != "" {
		out, err := runHelper(h, "get", configKey(host))
		if err == nil {
			var c struct{ Username, Secret string }
			if json.Unmarshal(out, &c) == nil {
				return c.Username, c.Secret
			}
		}
		return "", ""
	}
	var auths map[string]authEntry
	d.field("auths", &auths)
	for _, k := range []string{configKey(host), host, "https://" + host, "http://" + host} {
		if a, ok := auths[k]; ok && a.Auth != "" {
			b, err := base64.StdEncoding.DecodeString(a.Auth)
			if err != nil {
				continue
			}
			user, secret, _ := strings.Cut(string(b), ":")
			return user, secret
		}
	}
	return "", ""
}

// Store saves credentials for host: through its helper, or in auths.
func (d *DockerConfig) Store(host, user, secret string) error {
	if h := d.helper(host); h != "" {
		payload, _ := json.Marshal(map[string]string{"ServerURL": configKey(host), "Username": user, "Secret": secret})
		if _, err := runHelper(h, "store", string(payload)); err != nil {
			return err
		}
		return nil
	}
	var auths map[string]authEntry
	d.field("auths", &auths)
	if auths == nil {
		auths = map[string]authEntry{}
	}
	auths[configKey(host)] = authEntry{Auth: base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))}
	return d.save("auths", auths)
}

// Erase removes host's credentials; it reports whether there were any.
func (d *DockerConfig) Erase(host string) (bool, error) {
	if h := d.helper(host); h != "" {
		_, err := runHelper(h, "erase", configKey(host))
		return err == nil, err
	}
	var auths map[string]authEntry
	d.field("auths", &auths)
	if _, ok := auths[configKey(host)]; !ok {
		return false, nil
	}
	delete(auths, configKey(host))
	return true, d.save("auths", auths)
}

func (d *DockerConfig) save(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	d.raw[key] = b
	out, err := json.MarshalIndent(d.raw, "", "\t")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(d.path), 0o700); err != nil {
		return fmt.Errorf("docker config: %w", err)
	}
	return store.WriteFileAtomic(d.path, out, 0o600)
}

func runHelper(name, action, input string) ([]byte, error) {
	cmd := exec.Command("docker-credential-"+name, action)
	cmd.Stdin = strings.NewReader(input)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("credential helper docker-credential-%s %s: %v: %s", name, action, err, strings.TrimSpace(out.String()+errb.String()))
	}
	return out.Bytes(), nil
}
