package runtime

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Config is what the parent hands the init over the sync socket.
type Config struct {
	Spec *specs.Spec
	// Rootfs is the absolute host path of the root (Spec.Root.Path resolved
	// against the bundle).
	Rootfs string
	// Overlay, when set, is mounted on Rootfs inside the container's own
	// mount namespace, so the mount disappears with the container and can
	// never leak on the host.
	Overlay *OverlayMount `json:",omitempty"`
	// ExecSocket is where the init serves exec requests.
	ExecSocket string
	// WaitStart makes the init stop after setting up and wait on the exec
	// socket for a start request: the OCI runtime's create/start split.
	WaitStart bool
	// Detached: the init outlives the process that started it (OCI create
	// exits at once); otherwise it dies with its parent, the monitor.
	Detached bool
	// JoinNetNS is a network namespace (/proc/PID/ns/net) the container's
	// processes join instead of having their own (--network container:X).
	JoinNetNS string `json:",omitempty"`
	// BeforeStart runs in the parent once the init's namespaces exist and
	// before the container's process starts: networking is wired there.
	BeforeStart func(initPid int) error `json:"-"`
}

// OverlayMount mirrors snapshot.Overlay without importing it into init.
type OverlayMount struct {
	Lowers []string
	Upper  string
	Work   string
}

// syncMsg is one message on the parent <-> init socket.
type syncMsg struct {
	Type  string `json:"type"` // config, ready, started, error
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
	// Code is the exit code the failure should produce (126, 127), so the
	// CLI can answer like docker.
	Code   int     `json:"code,omitempty"`
	Config *Config `json:"config,omitempty"`
}

// execMsg is the request an exec client sends, and the init's replies.
type execMsg struct {
	Process *specs.Process `json:"process,omitempty"`
	Pid     int            `json:"pid,omitempty"`
	Exit    *int           `json:"exit,omitempty"`
	Error   string         `json:"error,omitempty"`
	Code    int            `json:"code,omitempty"`
	Signal  int            `json:"signal,omitempty"` // client -> init: signal the process
	Start   bool           `json:"start,omitempty"`  // client -> init: run the created container
}
