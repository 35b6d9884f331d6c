package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"berth/engine/snapshot"
)

var mountFlags = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY}, "nosuid": {false, unix.MS_NOSUID},
	"suid": {true, unix.MS_NOSUID}, "nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
	"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC}, "bind": {false, unix.MS_BIND},
	"rbind": {false, unix.MS_BIND | unix.MS_REC}, "strictatime": {false, unix.MS_STRICTATIME},
	"relatime": {false, unix.MS_RELATIME}, "noatime": {false, unix.MS_NOATIME}, "sync": {false, unix.MS_SYNCHRONOUS},
	"private": {false, 0}, "rprivate": {false, 0}, "slave": {false, 0}, "rslave": {false, 0},
	"shared": {false, 0}, "rshared": {false, 0}, "nodiratime": {false, unix.MS_NODIRATIME},
}

var propagation = map[string]uintptr{"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC, "shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC}

func parseMountOptions(opts []string) (flags uintptr, prop uintptr, data string) {
	var extra []string
	for _, o := range opts {
		if f, ok := mountFlags[o]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
			if p, ok := propagation[o]; ok {
				prop = p
			}
			continue
		}
		extra = append(extra, o)
	}
	return flags, prop, strings.Join(extra, ",")
}

// setupRootfs runs in the init, in the container's fresh mount namespace,
// before pivot_root.
func setupRootfs(cfg *Config, terminal bool) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	root := cfg.Rootfs
	if o := cfg.Overlay; o != nil {
		if err := (snapshot.Overlay{Lowers: o.Lowers, Upper: o.Upper, Work: o.Work}).Mount(root); err != nil {
			return err
		}
	} else if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind rootfs: %w", err)
	}
	for _, m := range cfg.Spec.Mounts {
		if err := mountInto(root, m); err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.Source, m.Destination, err)
		}
	}
	if err := createDevices(root, terminal, hasNamespace(cfg.Spec, specs.UserNamespace)); err != nil {
		return err
	}
	return nil
}

// openInRoot resolves p inside root as if root were "/" (symlinks in the
// image cannot point a mount outside), creating it as a directory, or as an
// empty file when file is set.
func openInRoot(root, p string, file bool) (int, error) {
	rfd, err := unix.Open(root, unix.O_DIRECTORY|unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(rfd)
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	rel := strings.TrimPrefix(filepath.Clean("/"+p), "/")
	if rel == "" {
		return unix.Openat2(rfd, ".", &how)
	}
	fd, err := unix.Openat2(rfd, rel, &how)
	if err == nil || !errors.Is(err, unix.ENOENT) {
		return fd, err
	}
	parent := filepath.Dir(rel)
	pfd, err := openInRoot(root, parent, false)
	if err != nil {
		return -1, err
	}
	defer unix.Close(pfd)
	base := filepath.Base(rel)
	if file {
		f, err := unix.Openat(pfd, base, unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o644)
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return -1, err
		}
		if err == nil {
			unix.Close(f)
		}
	} else if err := unix.Mkdirat(pfd, base, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
		return -1, err
	}
	return unix.Openat2(pfd, base, &how)
}

func mountInto(root string, m specs.Mount) error {
	flags, prop, data := parseMountOptions(m.Options)
	isBind := flags&unix.MS_BIND != 0 || m.Type == "bind"
	file := false
	if isBind {
		flags |= unix.MS_BIND
		fi, err := os.Stat(m.Source)
		if err != nil {
			return err
		}
		file = !fi.IsDir()
	}
	fd, err := openInRoot(root, m.Destination, file)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	target := fmt.Sprintf("/proc/self/fd/%d", fd)
	typ := m.Type
	if isBind {
		typ = ""
	}
	first := flags
	if isBind {
		// A bind mount takes its other flags only on a remount.
		first &= unix.MS_BIND | unix.MS_REC
	}
	if err := unix.Mount(m.Source, target, typ, first, data); err != nil {
		return err
	}
	// fd still names the directory under the new mount; remounts must
	// name the mount itself.
	top, err := openInRoot(root, m.Destination, file)
	if err != nil {
		return err
	}
	defer unix.Close(top)
	target = fmt.Sprintf("/proc/self/fd/%d", top)
	if isBind && flags&(unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC) != 0 {
		if err := unix.Mount("", target, "", (flags&^unix.MS_REC)|unix.MS_REMOUNT|unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("remount: %w", err)
		}
	}
	if prop != 0 {
		if err := unix.Mount("", target, "", prop, ""); err != nil {
			return fmt.Errorf("propagation: %w", err)
		}
	}
	return nil
}

func createDevices(root string, terminal, userns bool) error {
	for _, d := range standardDevices {
		p := filepath.Join(root, d.path)
		os.Remove(p)
		if userns {
			// No mknod in a user namespace: bind the host's node instead.
			if f, err := os.Create(p); err == nil {
				f.Close()
			}
			if err := unix.Mount(d.path, p, "", unix.MS_BIND, ""); err != nil {
				return fmt.Errorf("bind %s: %w", d.path, err)
			}
			continue
		}
		if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return fmt.Errorf("create %s: %w", d.path, err)
		}
		unix.Chmod(p, 0o666) // umask
	}
	links := [][2]string{{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}, {"pts/ptmx", "/dev/ptmx"}}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "/dev/core"})
	}
	for _, l := range links {
		p := filepath.Join(root, l[1])
		os.Remove(p)
		if err := os.Symlink(l[0], p); err != nil {
			return fmt.Errorf("create %s: %w", l[1], err)
		}
	}
	if terminal {
		// The console is the container's PTY, our stdin.
		slave, err := os.Readlink("/proc/self/fd/0")
		if err != nil {
			return err
		}
		p := filepath.Join(root, "dev/console")
		if f, err := os.Create(p); err == nil {
			f.Close()
		}
		if err := unix.Mount(slave, p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/console: %w", err)
		}
	}
	return nil
}

// pivotRoot makes root the container's / and detaches the host's tree.
func pivotRoot(root string) error {
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(oldroot)
	newroot, err := unix.Open(root, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(newroot)
	if err := unix.Fchdir(newroot); err != nil {
		return err
	}
	// pivot_root(".", ".") stacks the old root on top of the new one; it is
	// then detached without ever needing a directory for it in the image.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Fchdir(oldroot); err != nil {
		return err
	}
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return err
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// finishRootfs applies masks, read-only paths and a read-only root, after
// pivot_root.
func finishRootfs(spec *specs.Spec) error {
	if spec.Linux != nil {
		for _, p := range spec.Linux.MaskedPaths {
			if err := maskPath(p); err != nil {
				return fmt.Errorf("mask %s: %w", p, err)
			}
		}
		for _, p := range spec.Linux.ReadonlyPaths {
			if err := readonlyPath(p); err != nil {
				return fmt.Errorf("read-only %s: %w", p, err)
			}
		}
	}
	if spec.Root != nil && spec.Root.Readonly {
		if err := unix.Mount("", "/", "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("read-only root: %w", err)
		}
	}
	return nil
}

func maskPath(p string) error {
	fi, err := os.Lstat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "size=0")
	}
	return unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
}

func readonlyPath(p string) error {
	if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	return unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_REC|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
}
