package build

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/runtime"
	"berth/engine/snapshot"
)

// runFlags are RUN's options.
type runFlags struct {
	mounts  []runMount
	network string // "default" (the host's) or "none"
	// script is a heredoc with a #! line, run as a file of its own.
	script *parser.Heredoc
}

// runMount is one RUN --mount.
type runMount struct {
	Type     string `json:"type"` // bind, cache, tmpfs
	Target   string `json:"target"`
	Source   string `json:"source,omitempty"`
	From     string `json:"from,omitempty"`
	ID       string `json:"id,omitempty"`
	ReadOnly bool   `json:"ro,omitempty"`
	Mode     string `json:"mode,omitempty"`
	UID      string `json:"uid,omitempty"`
	GID      string `json:"gid,omitempty"`
}

func (b *builder) runFlags(ins Instruction, env []string) (runFlags, error) {
	f := runFlags{network: "default"}
	if b.o.Network != "" {
		f.network = b.o.Network
	}
	for _, fl := range ins.Flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(fl, "--"), "=")
		v, err := b.df.Expand(v, env)
		if err != nil {
			return f, b.errAt(ins.Line, "RUN --%s: %v", k, err)
		}
		switch k {
		case "mount":
			m, err := parseMount(v)
			if err != nil {
				return f, b.errAt(ins.Line, "RUN --mount=%s: %v", v, err)
			}
			f.mounts = append(f.mounts, m)
		case "network":
			switch v {
			case "default", "host", "none":
				f.network = v
			default:
				return f, b.errAt(ins.Line, "RUN --network=%s: want default, host or none", v)
			}
		case "security":
			if v != "sandbox" {
				return f, b.errAt(ins.Line, "RUN --security=%s: only sandbox is supported", v)
			}
		default:
			return f, b.errAt(ins.Line, "RUN: unknown flag --%s", k)
		}
	}
	return f, nil
}

func parseMount(v string) (runMount, error) {
	m := runMount{Type: "bind"}
	rw := false
	for _, kv := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "type":
			m.Type = val
		case "target", "dst", "destination":
			m.Target = val
		case "source", "src":
			m.Source = val
		case "from":
			m.From = val
		case "id":
			m.ID = val
		case "ro", "readonly":
			m.ReadOnly = val == "" || val == "true"
		case "rw", "readwrite":
			rw = val == "" || val == "true"
		case "mode":
			m.Mode = val
		case "uid":
			m.UID = val
		case "gid":
			m.GID = val
		case "sharing", "required", "size":
		default:
			return m, fmt.Errorf("unknown option %q", k)
		}
	}
	switch m.Type {
	case "bind", "cache", "tmpfs":
	default:
		return m, fmt.Errorf("mount type %q is not supported (bind, cache and tmpfs are)", m.Type)
	}
	if m.Target == "" {
		return m, errors.New("target is required")
	}
	if m.Type == "bind" && !rw {
		m.ReadOnly = true
	}
	if m.Type == "bind" && rw {
		return m, errors.New("read-write bind mounts are not supported; copy the files in a RUN instead")
	}
	return m, nil
}

// runStep runs a RUN in a container on the stage's current layers; what it
// writes to its overlay's upper directory becomes the step's layer.
func (b *builder) runStep(ctx context.Context, s *state, ins Instruction, si stepInfo) (bool, error) {
	env := s.exprEnv()
	fl, err := b.runFlags(ins, env)
	if err != nil {
		return false, err
	}
	argv, script := b.runArgv(s, ins)
	fl.script = script
	runEnv := b.runEnv(s)
	// The args RUN sees are part of its key, proxy args aside, as docker.
	var keyEnv []string
	for _, kv := range runEnv {
		if k, _, _ := cut(kv); !proxyArgs[k] {
			keyEnv = append(keyEnv, kv)
		}
	}
	mountKeys, err := b.mountKeys(ctx, s, fl.mounts, si)
	if err != nil {
		return false, b.errAt(ins.Line, "RUN: %v", err)
	}
	createdBy := "RUN " + strings.Join(argv, " ")
	var body string
	if script != nil {
		body = script.Content
	}
	key := stepKey(s.key, "run", argv, keyEnv, s.cfg.Config.User, s.cfg.Config.WorkingDir, fl.network, mountKeys, body)
	if l, ok := b.cachedLayer(ctx, s, key); ok {
		return true, b.record(s, key, createdBy, l)
	}
	b.ran()
	l, err := b.execRun(ctx, s, argv, runEnv, fl, si)
	if err != nil {
		return false, b.errAt(ins.Line, "%s: %v", strings.TrimSpace(ins.Original), err)
	}
	return false, b.record(s, key, createdBy, l)
}

// runArgv: the JSON form as written; the shell form through SHELL, with a
// heredoc body as the script when the line is only the heredoc. A body
// that starts with #! runs as a file, with the interpreter it names (as
// BuildKit does, at /dev/pipes/NAME).
func (b *builder) runArgv(s *state, ins Instruction) ([]string, *parser.Heredoc) {
	if ins.JSON {
		return append([]string(nil), ins.Args...), nil
	}
	line := strings.Join(ins.Args, " ")
	if len(ins.Heredocs) == 1 && heredocFor(ins, strings.TrimSpace(line)) != nil {
		h := &ins.Heredocs[0]
		if strings.HasPrefix(h.Content, "#!") {
			return []string{"/dev/pipes/" + h.Name}, h
		}
		return append(b.shell(s), h.Content), nil
	}
	for _, h := range ins.Heredocs {
		// The shell reads the heredoc itself, from the full text.
		line += "\n" + h.Content + h.Name
	}
	return append(b.shell(s), line), nil
}

// mountKeys names what each mount brings in, for the cache key: a bind
// mount's content, a cache mount only by its id (its content is a cache).
func (b *builder) mountKeys(ctx context.Context, s *state, mounts []runMount, si stepInfo) ([]string, error) {
	var out []string
	for _, m := range mounts {
		k := fmt.Sprintf("%s:%s:%s:%s:%s:%t", m.Type, m.Target, m.ID, m.Source, m.Mode, m.ReadOnly)
		if m.Type == "bind" {
			src, err := b.copySource(ctx, s, m.From, si)
			if err != nil {
				return nil, err
			}
			if src.key != "" {
				k += ":" + string(src.key)
			} else {
				h := sha256.New()
				rel := strings.Trim(filepath.Clean("/"+m.Source), "/")
				if err := src.hashTree(h, rel); err != nil {
					return nil, err
				}
				k += fmt.Sprintf(":%x", h.Sum(nil))
			}
		}
		out = append(out, k)
	}
	return out, nil
}

// execRun starts the container and waits for it.
func (b *builder) execRun(ctx context.Context, s *state, argv, env []string, fl runFlags, si stepInfo) (*layerResult, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("RUN needs root: build steps run in containers (namespaces and an overlay mount)")
	}
	tmp, err := b.e.Store.TempDir("build-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var lowers []string
	for _, c := range s.chains {
		lowers = append(lowers, b.e.Store.LayerDir(c))
	}
	ov, err := snapshot.Prepare(tmp, lowers)
	if err != nil {
		return nil, err
	}
	rootfs := filepath.Join(tmp, "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		return nil, err
	}
	spec := runtime.DefaultSpec(argv)
	spec.Hostname = "berth-build"
	spec.Process.Env = env
	spec.Process.Cwd = s.cfg.Config.WorkingDir
	if spec.Process.Cwd == "" {
		spec.Process.Cwd = "/"
	}
	spec.Process.User = specs.User{Username: s.cfg.Config.User}
	if fl.network != "none" {
		spec.Linux.Namespaces = slices.DeleteFunc(spec.Linux.Namespaces, func(n specs.LinuxNamespace) bool {
			return n.Type == specs.NetworkNamespace
		})
		for _, f := range []string{"/etc/resolv.conf", "/etc/hosts"} {
			if _, err := os.Stat(f); err == nil {
				spec.Mounts = append(spec.Mounts, specs.Mount{Destination: f, Type: "bind", Source: f, Options: []string{"rbind", "ro"}})
			}
		}
	}
	extra, err := b.runMounts(ctx, s, fl.mounts, tmp, si)
	if err != nil {
		return nil, err
	}
	spec.Mounts = append(spec.Mounts, extra...)
	if fl.script != nil {
		// Under /dev, a tmpfs of the container's own: nothing reaches the layer.
		p := filepath.Join(tmp, "script")
		if err := os.WriteFile(p, []byte(fl.script.Content), 0o755); err != nil {
			return nil, err
		}
		spec.Mounts = append(spec.Mounts, specs.Mount{Destination: "/dev/pipes/" + fl.script.Name, Type: "bind", Source: p, Options: []string{"rbind", "ro"}})
	}
	dv := b.view(s)
	stubs := mountStubs(dv, spec.Mounts)

	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		pr.Close()
		pw.Close()
		return nil, err
	}
	defer devnull.Close()
	tail := &tailLines{max: 10}
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			tail.add(line)
			b.progress(Event{Kind: StepOutput, Stage: si.label, Step: si.n, Steps: si.steps, Text: line})
		}
		if sc.Err() != nil {
			// A line over 1 MB: stop showing output, but keep draining
			// it, or the step would block on a full pipe.
			b.progress(Event{Kind: StepOutput, Stage: si.label, Step: si.n, Steps: si.steps, Text: "[output line over 1 MB: the rest of this step's output is not shown]"})
			io.Copy(io.Discard, pr)
		}
		pr.Close()
	}()
	cfg := &runtime.Config{Spec: spec, Rootfs: rootfs,
		Overlay: &runtime.OverlayMount{Lowers: ov.Lowers, Upper: ov.Upper, Work: ov.Work}}
	c, err := runtime.Start(cfg, runtime.Stdio{Stdin: devnull, Stdout: pw, Stderr: pw}, nil)
	pw.Close()
	if err != nil {
		<-read
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { c.Signal(syscall.SIGKILL) })
	code := c.Wait()
	stop()
	<-read
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if code != 0 {
		msg := fmt.Sprintf("exit code %d", code)
		if t := tail.String(); t != "" {
			msg += "; last output:\n" + t
		}
		return nil, errors.New(msg)
	}
	skip := stubs.finish(ov.Upper)
	sl, chain, ok, err := b.e.CommitUpper(ctx, tmp, s.topChain(), skip)
	if err != nil {
		return nil, err
	}
	return &layerResult{layer: sl, chain: chain, ok: ok}, nil
}

// runMounts turns RUN --mount options into runtime mounts.
func (b *builder) runMounts(ctx context.Context, s *state, mounts []runMount, tmp string, si stepInfo) ([]specs.Mount, error) {
	var out []specs.Mount
	for i, m := range mounts {
		target := absPath(s.cfg.Config.WorkingDir, m.Target)
		switch m.Type {
		case "tmpfs":
			out = append(out, specs.Mount{Destination: target, Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev"}})
		case "cache":
			id := m.ID
			if id == "" {
				id = target
			}
			dir, err := b.e.BuildCacheMount(id)
			if err != nil {
				return nil, err
			}
			if err := chownCache(dir, m); err != nil {
				return nil, err
			}
			opts := []string{"rbind"}
			if m.ReadOnly {
				opts = append(opts, "ro")
			}
			out = append(out, specs.Mount{Destination: target, Type: "bind", Source: dir, Options: opts})
		case "bind":
			src, err := b.copySource(ctx, s, m.From, si)
			if err != nil {
				return nil, err
			}
			dir, err := b.materialize(src, m.Source, filepath.Join(tmp, fmt.Sprintf("bind%d", i)))
			if err != nil {
				return nil, err
			}
			out = append(out, specs.Mount{Destination: target, Type: "bind", Source: dir, Options: []string{"rbind", "ro"}})
		}
	}
	return out, nil
}

// materialize gives a bind mount a real directory: the context itself when
// nothing is ignored, else (and for stages and images) a copy of the tree.
func (b *builder) materialize(src *source, source, dir string) (string, error) {
	rel := strings.Trim(filepath.Clean("/"+source), "/")
	if src.v.plain && src.ignore == nil {
		host, _, err := src.v.stat(rel)
		return host, err
	}
	if src.v.plain {
		// Ignored files must not be visible: copy what the context shows.
		return dir, copyTree(src, rel, dir)
	}
	var lowers []string
	for i := len(src.v.dirs) - 1; i >= 0; i-- {
		lowers = append(lowers, src.v.dirs[i])
	}
	if err := snapshot.Flatten(dir, lowers); err != nil {
		return "", err
	}
	return filepath.Join(dir, rel), nil
}

func chownCache(dir string, m runMount) error {
	if m.Mode != "" {
		var mode uint32
		if _, err := fmt.Sscanf(m.Mode, "%o", &mode); err != nil {
			return fmt.Errorf("cache mount mode %q: %w", m.Mode, err)
		}
		if err := os.Chmod(dir, fs.FileMode(mode)); err != nil {
			return err
		}
	}
	if m.UID != "" || m.GID != "" {
		var uid, gid int
		fmt.Sscanf(m.UID, "%d", &uid)
		fmt.Sscanf(m.GID, "%d", &gid)
		return os.Chown(dir, uid, gid)
	}
	return nil
}

// tailLines keeps the last lines a failing RUN printed, for its error.
type tailLines struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tailLines) add(l string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, l)
	if len(t.lines) > t.max {
		t.lines = t.lines[1:]
	}
}

func (t *tailLines) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
