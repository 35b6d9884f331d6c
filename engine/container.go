package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"berth/engine/monitor"
	"berth/engine/network"
	"berth/engine/store"
)

// ErrContainerNotFound is returned (wrapped) for an unknown container.
var ErrContainerNotFound = errors.New("no such container")

// ContainerRecord is containers/<id>/container.json: what the container is
// (its state lives in state.json, written by its monitor).
type ContainerRecord struct {
	ID      string
	Name    string
	Created time.Time
	Image   string        // as the user named it
	ImageID digest.Digest // config digest
	Layers  []digest.Digest
	Config  ContainerConfig
	Host    HostConfig
	// Networks are the container's endpoints, by network name: addresses
	// are allocated at create and kept until rm.
	Networks map[string]Endpoint `json:",omitempty"`
}

// Endpoint is a container's place on one network.
type Endpoint struct {
	IP      string
	Aliases []string `json:",omitempty"`
}

// ContainerConfig is what runs (docker's Config).
type ContainerConfig struct {
	Cmd, Entrypoint []string
	Env             []string
	WorkingDir      string
	User            string
	Hostname        string
	Tty, OpenStdin  bool
	Labels          map[string]string
	StopSignal      string
	StopTimeout     *int
	Healthcheck     *Healthcheck `json:",omitempty"`
}

// Healthcheck mirrors docker's.
type Healthcheck struct {
	Test                           []string
	Interval, Timeout, StartPeriod time.Duration
	Retries                        int
}

// HostConfig is how it runs (docker's HostConfig).
type HostConfig struct {
	Binds          []string
	Tmpfs          map[string]string
	Mounts         []MountSpec
	Memory         int64
	MemorySwap     int64
	NanoCPUs       int64
	CPUShares      int64
	PidsLimit      int64
	ReadonlyRootfs bool
	Privileged     bool
	CapAdd         []string
	CapDrop        []string
	SecurityOpt    []string
	Init           bool
	RestartPolicy  monitor.Restart
	AutoRemove     bool
	NetworkMode    string                // bridge (default), none, host, container:NAME, or a network's name
	PortBindings   []network.PortMapping `json:",omitempty"`
	PublishAll     bool                  `json:",omitempty"`
	ExposedPorts   []string              `json:",omitempty"` // 80/tcp, from the image and --expose
}

// MountSpec is a resolved -v / --mount / --tmpfs.
type MountSpec struct {
	Type        string // bind, volume, tmpfs
	Source      string // host path, volume name
	Destination string
	ReadOnly    bool
	Options     []string
}

func (e *Engine) containerDir(id string) string { return e.Store.Path("containers", id) }

func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var nameRe = regexp.MustCompile(`^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)

var (
	adjectives = []string{"brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "keen", "lucid", "merry",
		"nimble", "proud", "quiet", "rapid", "sharp", "tidy", "vivid", "witty", "zen", "bold"}
	nouns = []string{"albatross", "beacon", "cutter", "dinghy", "ferry", "galleon", "harbor", "jetty", "keel",
		"lighthouse", "mooring", "navigator", "oar", "pier", "quay", "rudder", "schooner", "tug", "wharf", "yawl"}
)

func randomName() string {
	a, _ := rand.Int(rand.Reader, big.NewInt(int64(len(adjectives))))
	n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(nouns))))
	return adjectives[a.Int64()] + "_" + nouns[n.Int64()]
}

// Containers lists every container with its state, newest first.
func (e *Engine) Containers() ([]ContainerInfo, error) {
	ents, err := os.ReadDir(e.Store.Path("containers"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []ContainerInfo
	for _, ent := range ents {
		ci, err := e.containerInfo(ent.Name())
		if err != nil {
			continue // half-created or being removed
		}
		out = append(out, ci)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Record.Created.After(out[j].Record.Created) })
	return out, nil
}

// ContainerInfo is a container's record and state together.
type ContainerInfo struct {
	Record ContainerRecord
	State  monitor.State
}

func (e *Engine) containerInfo(id string) (ContainerInfo, error) {
	dir := e.containerDir(id)
	b, err := os.ReadFile(filepath.Join(dir, ContainerRecordFile))
	if err != nil {
		return ContainerInfo{}, err
	}
	var ci ContainerInfo
	if err := json.Unmarshal(b, &ci.Record); err != nil {
		return ci, fmt.Errorf("container %s: %w", id, err)
	}
	ci.State, err = monitor.ReadState(dir)
	return ci, err
}

// Container finds a container by full ID, unique ID prefix, or name.
func (e *Engine) Container(ref string) (ContainerInfo, error) {
	// A full ID names its directory: no need to read every container, which
	// per-second stats of many containers in a large store would do.
	if digest.Algorithm("sha256").Validate(ref) == nil {
		if ci, err := e.containerInfo(ref); err == nil {
			return ci, nil
		}
	}
	all, err := e.Containers()
	if err != nil {
		return ContainerInfo{}, err
	}
	name := strings.TrimPrefix(ref, "/")
	var match []ContainerInfo
	for _, c := range all {
		if c.Record.ID == ref || c.Record.Name == name {
			return c, nil
		}
		if len(ref) >= 3 && strings.HasPrefix(c.Record.ID, ref) {
			match = append(match, c)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return ContainerInfo{}, fmt.Errorf("%w: %s", ErrContainerNotFound, ref)
	}
	return ContainerInfo{}, fmt.Errorf("container ID prefix %q is ambiguous", ref)
}

func (e *Engine) writeRecord(r ContainerRecord) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	// Replaced atomically but not fsynced: a kill -9 cannot tear it, and a
	// container does not outlive a power loss anyway.
	return store.ReplaceFile(filepath.Join(e.containerDir(r.ID), ContainerRecordFile), b, 0o600)
}
