package layer

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// OCI whiteout names (image-spec layer.md) and their overlayfs forms.
const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	whiteoutOpaque = ".wh..wh..opq"
	overlayOpaque  = "trusted.overlay.opaque"
)

func (a *applier) whiteout(p, dir, base string) error {
	pfd, err := a.t.dir(dir)
	if err != nil {
		return fmt.Errorf("parent directory: %w", err)
	}
	if a.opts.Whiteouts == KeepWhiteouts {
		fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return err
		}
		return unix.Close(fd)
	}
	if base == whiteoutOpaque {
		if a.opts.Whiteouts == DeleteWhiteouts {
			return a.clearDir(pfd, dir)
		}
		if err := unix.Fsetxattr(pfd, overlayOpaque, []byte("y"), 0); err != nil {
			return fmt.Errorf("mark opaque: %w", err)
		}
		return nil
	}
	target := base[len(whiteoutPrefix):]
	if target == "" || target == "." || target == ".." {
		return fmt.Errorf("malformed whiteout")
	}
	if err := a.t.removeAt(pfd, dir, target); err != nil {
		return fmt.Errorf("whiteout: %w", err)
	}
	if a.opts.Whiteouts == DeleteWhiteouts {
		return nil
	}
	if err := unix.Mknodat(pfd, target, unix.S_IFCHR, 0); err != nil {
		return fmt.Errorf("whiteout device: %w", err)
	}
	return nil
}

// clearDir empties a directory of what lower layers put there, keeping what
// this layer has already written into it.
func (a *applier) clearDir(pfd int, dir string) error {
	f := os.NewFile(uintptr(mustDup(pfd)), dir)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("opaque directory: %w", err)
	}
	for _, n := range names {
		p := n
		if dir != "" {
			p = dir + "/" + n
		}
		if a.created[p] {
			continue
		}
		if err := a.t.removeAt(pfd, dir, n); err != nil {
			return fmt.Errorf("opaque directory: %w", err)
		}
	}
	return nil
}

func mustDup(fd int) int {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return nfd
}

// isAufsMeta reports paths under aufs's .wh..wh. entries other than the
// opaque marker.
func isAufsMeta(p string) bool {
	for _, part := range strings.Split(p, "/") {
		if part != whiteoutOpaque && strings.HasPrefix(part, whiteoutMeta) {
			return true
		}
	}
	return false
}
