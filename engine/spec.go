package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/cgroups"
	"berth/engine/monitor"
	"berth/engine/runtime"
	"berth/engine/snapshot"
)

// monitorOptions builds everything a monitor needs to run the container.
func (e *Engine) monitorOptions(ci ContainerInfo) (monitor.Options, error) {
	r := ci.Record
	dir := e.containerDir(r.ID)
	var lowers []string
	for _, c := range r.Layers {
		if _, ok := e.Store.Layer(c); !ok {
			return monitor.Options{}, fmt.Errorf("container %s: image layer %s is missing from the store", r.Name, c)
		}
		lowers = append(lowers, e.Store.LayerDir(c))
	}
	ov, err := snapshot.Prepare(dir, lowers)
	if err != nil {
		return monitor.Options{}, err
	}
	rootfs := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(rootfs, 0o755); err != nil {
		return monitor.Options{}, err
	}
	spec, err := e.spec(ci, dir)
	if err != nil {
		return monitor.Options{}, err
	}
	cfg := &runtime.Config{Spec: spec, Rootfs: rootfs, ExecSocket: filepath.Join(dir, "exec.sock"),
		Overlay: &runtime.OverlayMount{Lowers: ov.Lowers, Upper: ov.Upper, Work: ov.Work}}
	h := r.Host
	res := cgroups.Resources{Memory: h.Memory, MemorySwap: h.MemorySwap, CPUShares: uint64(h.CPUShares), PidsLimit: h.PidsLimit}
	if h.NanoCPUs > 0 {
		res.CPUPeriod = 100000
		res.CPUQuota = h.NanoCPUs * 100000 / 1e9
	}
	o := monitor.Options{Dir: dir, Config: cfg, Resources: res, CgroupName: "berth/" + r.ID,
		TTY: r.Config.Tty, OpenStdin: r.Config.OpenStdin, Restart: h.RestartPolicy}
	switch kind, target := netMode(h.NetworkMode); kind {
	case "bridge":
		o.Prestart = e.prestart(ci)
	case "container":
		other, err := e.Container(target)
		if err != nil {
			return monitor.Options{}, err
		}
		if !running(other.State) || other.State.Pid == 0 {
			return monitor.Options{}, fmt.Errorf("--network container:%s: that container is not running", target)
		}
		cfg.JoinNetNS = fmt.Sprintf("/proc/%d/ns/net", other.State.Pid)
	}
	if hc := r.Config.Healthcheck; hc != nil {
		o.Health = &monitor.HealthConfig{Test: hc.Test, Interval: hc.Interval, Timeout: hc.Timeout,
			StartPeriod: hc.StartPeriod, Retries: hc.Retries, Env: spec.Process.Env}
	}
	return o, nil
}

// spec is the OCI runtime spec of a container, with docker's defaults.
func (e *Engine) spec(ci ContainerInfo, dir string) (*specs.Spec, error) {
	r := ci.Record
	c, h := r.Config, r.Host
	args := append(append([]string(nil), c.Entrypoint...), c.Cmd...)
	hostname := c.Hostname
	if hostname == "" {
		hostname = r.ID[:12]
	}
	env := append([]string(nil), c.Env...)
	env = mergeEnv(env, []string{"HOSTNAME=" + hostname})
	if c.Tty && !hasEnv(env, "TERM") {
		env = append(env, "TERM=xterm")
	}
	if !hasEnv(env, "PATH") {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	caps, err := capabilities(h)
	if err != nil {
		return nil, err
	}
	proc := &specs.Process{Terminal: c.Tty, Args: args, Env: env, Cwd: c.WorkingDir,
		Capabilities: runtime.CapSet(caps), User: specs.User{Username: c.User}}
	if proc.Cwd == "" {
		proc.Cwd = "/"
	}
	seccompOn := !h.Privileged
	for _, so := range h.SecurityOpt {
		k, v, _ := strings.Cut(so, "=")
		if k == "no-new-privileges" && (v == "" || v == "true") {
			proc.NoNewPrivileges = true
		} else if k == "seccomp" && v == "unconfined" {
			seccompOn = false
		} else if so == "no-new-privileges:true" {
			proc.NoNewPrivileges = true
		} else if k != "label" && k != "apparmor" {
			return nil, fmt.Errorf("invalid --security-opt %q: berth knows no-new-privileges and seccomp=unconfined", so)
		}
	}
	linux := &specs.Linux{Namespaces: runtime.DefaultNamespaces()}
	if !h.Privileged {
		linux.MaskedPaths, linux.ReadonlyPaths = runtime.MaskedPaths, runtime.ReadonlyPaths
	}
	if seccompOn {
		linux.Seccomp = runtime.DefaultSeccomp(caps)
	}
	if kind, _ := netMode(h.NetworkMode); kind == "host" || kind == "container" {
		linux.Namespaces = slices.DeleteFunc(linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.NetworkNamespace })
	}
	mounts := runtime.DefaultMounts()
	if h.Privileged {
		for i := range mounts {
			if mounts[i].Destination == "/sys" {
				mounts[i].Options = []string{"nosuid", "noexec", "nodev"}
			}
		}
	}
	etc, err := writeEtcFiles(dir, hostname, h.NetworkMode, e.hostsFile(r, hostname, ""))
	if err != nil {
		return nil, err
	}
	mounts = append(mounts, etc...)
	for _, m := range h.Mounts {
		sm, err := e.mountSpec(m)
		if err != nil {
			return nil, err
		}
		mounts = append(mounts, sm)
	}
	return &specs.Spec{Version: specs.Version, Root: &specs.Root{Path: "rootfs", Readonly: h.ReadonlyRootfs},
		Hostname: hostname, Process: proc, Mounts: mounts, Linux: linux}, nil
}

func hasEnv(env []string, k string) bool {
	return slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, k+"=") })
}

func capabilities(h HostConfig) ([]string, error) {
	if h.Privileged {
		return runtime.AllCapabilities(), nil
	}
	caps := append([]string(nil), runtime.DefaultCapabilities...)
	norm := func(c string) string {
		c = strings.ToUpper(c)
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		return c
	}
	known := runtime.KnownCapabilities()
	for _, c := range h.CapDrop {
		if strings.EqualFold(c, "all") {
			caps = nil
			continue
		}
		n := norm(c)
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("invalid --cap-drop %q: unknown capability", c)
		}
		caps = slices.DeleteFunc(caps, func(x string) bool { return x == n })
	}
	for _, c := range h.CapAdd {
		if strings.EqualFold(c, "all") {
			caps = runtime.AllCapabilities()
			continue
		}
		n := norm(c)
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("invalid --cap-add %q: unknown capability", c)
		}
		if !slices.Contains(caps, n) {
			caps = append(caps, n)
		}
	}
	return caps, nil
}

func (e *Engine) mountSpec(m MountSpec) (specs.Mount, error) {
	opts := []string{"rbind"}
	if m.ReadOnly {
		opts = append(opts, "ro")
	}
	switch m.Type {
	case "bind":
		return specs.Mount{Destination: m.Destination, Type: "bind", Source: m.Source, Options: opts}, nil
	case "volume":
		v, err := e.Volume(m.Source)
		if err != nil {
			return specs.Mount{}, err
		}
		return specs.Mount{Destination: m.Destination, Type: "bind", Source: v.Mountpoint, Options: opts}, nil
	case "tmpfs":
		o := append([]string{"nosuid", "nodev"}, m.Options...)
		if m.ReadOnly {
			o = append(o, "ro")
		}
		return specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs", Options: o}, nil
	}
	return specs.Mount{}, fmt.Errorf("unknown mount type %q", m.Type)
}

// writeEtcFiles makes the container's /etc/hostname, /etc/hosts and
// /etc/resolv.conf (the host's, minus loopback resolvers a separate network
// namespace cannot reach).
func writeEtcFiles(dir, hostname, network, hosts string) ([]specs.Mount, error) {
	if network == "host" {
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = string(b)
		}
	}
	resolv := "nameserver 8.8.8.8\n"
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		var keep []string
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "nameserver" && network != "host" &&
				(strings.HasPrefix(f[1], "127.") || f[1] == "::1") {
				continue
			}
			keep = append(keep, line)
		}
		resolv = strings.Join(keep, "\n")
	}
	files := map[string]string{"hostname": hostname + "\n", "hosts": hosts, "resolv.conf": resolv}
	var mounts []specs.Mount
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(files[name]), 0o644); err != nil {
			return nil, err
		}
		mounts = append(mounts, specs.Mount{Destination: "/etc/" + name, Type: "bind", Source: p, Options: []string{"rbind"}})
	}
	return mounts, nil
}
