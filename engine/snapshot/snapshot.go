// Package snapshot builds a container's root filesystem from an image's
// unpacked layers: an overlayfs mount of the layers (read-only lowers) under
// the container's own upper and work directories, or, where overlay is not
// available, a private copy of the merged layers.
//
// It must never write into a layer directory: layers are shared by every
// container and image that uses them.
package snapshot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Overlay describes one container's overlay.
type Overlay struct {
	Lowers []string // layer trees, top first (overlay's lowerdir order)
	Upper  string
	Work   string
}

// Prepare creates the upper and work directories under dir.
func Prepare(dir string, lowersBottomFirst []string) (Overlay, error) {
	o := Overlay{Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work")}
	for i := len(lowersBottomFirst) - 1; i >= 0; i-- {
		o.Lowers = append(o.Lowers, lowersBottomFirst[i])
	}
	for _, d := range []string{o.Upper, o.Work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return o, fmt.Errorf("snapshot: %w", err)
		}
	}
	if len(o.Lowers) == 0 {
		// overlay needs a lower; an image with no layers gets an empty one.
		empty := filepath.Join(dir, "empty")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			return o, fmt.Errorf("snapshot: %w", err)
		}
		o.Lowers = []string{empty}
	}
	return o, nil
}

// Mount mounts the overlay at target. The new mount API takes each lower
// separately ("lowerdir+", Linux 6.8), so no layer count hits the 4 KiB
// limit of a classic mount's option string; older kernels get the classic
// mount while the options fit.
func (o Overlay) Mount(target string) error {
	err := o.mountFsconfig(target)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("mount overlay on %s: %w", target, err)
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(o.Lowers, ":"), o.Upper, o.Work)
	if len(opts) >= unix.Getpagesize()-1 {
		return fmt.Errorf("mount overlay on %s: %d layers do not fit a mount option string on this kernel", target, len(o.Lowers))
	}
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay on %s: %w", target, err)
	}
	return nil
}

func (o Overlay) mountFsconfig(target string) error {
	fd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for _, l := range o.Lowers {
		if err := unix.FsconfigSetString(fd, "lowerdir+", l); err != nil {
			return err
		}
	}
	if err := unix.FsconfigSetString(fd, "upperdir", o.Upper); err != nil {
		return err
	}
	if err := unix.FsconfigSetString(fd, "workdir", o.Work); err != nil {
		return err
	}
	if err := unix.FsconfigCreate(fd); err != nil {
		return err
	}
	mfd, err := unix.Fsmount(fd, unix.FSMOUNT_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	return unix.MoveMount(mfd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH)
}

// Supported reports whether this process can mount overlays at all.
func Supported() bool {
	if os.Geteuid() != 0 {
		return false
	}
	b, err := os.ReadFile("/proc/filesystems")
	return err == nil && strings.Contains(string(b), "\toverlay\n")
}
