package layer

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// tree is a target directory opened once; every path below it is resolved by
// the kernel relative to that descriptor, never as a string joined to the
// target's path.
type tree struct {
	fd      int
	resolve uint64
	// One cached parent directory: tar entries of one directory come
	// together, so this saves an openat2 per file.
	cachePath string
	cacheFD   int
}

var errEscape = errors.New("path escapes the layer directory")

func openTree(dir string, inRoot bool) (*tree, error) {
	fd, err := unix.Open(dir, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dir, err)
	}
	// BENEATH refuses absolute symlinks and ones that climb out: right for a
	// single layer, which has no business following links it did not make.
	// IN_ROOT resolves them as if dir were "/": right when applying onto a
	// merged rootfs where /bin -> /usr/bin is normal.
	res := uint64(unix.RESOLVE_BENEATH | unix.RESOLVE_NO_MAGICLINKS)
	if inRoot {
		res = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS
	}
	return &tree{fd: fd, resolve: res, cacheFD: -1}, nil
}

func (t *tree) close() {
	t.dropCache()
	unix.Close(t.fd)
}

func (t *tree) dropCache() {
	if t.cacheFD >= 0 {
		unix.Close(t.cacheFD)
	}
	t.cacheFD, t.cachePath = -1, ""
}

func (t *tree) openat(dirfd int, p string, flags uint64) (int, error) {
	how := unix.OpenHow{Flags: flags | unix.O_CLOEXEC, Resolve: t.resolve}
	for {
		fd, err := unix.Openat2(dirfd, p, &how)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err == unix.EXDEV || err == unix.ELOOP {
			return -1, errEscape
		}
		return fd, err
	}
}

// dir returns a descriptor of directory p (clean, relative; "" is the root),
// creating missing components as 0755 directories. The descriptor belongs to
// the tree; callers must not close it.
func (t *tree) dir(p string) (int, error) {
	if p == "" {
		return t.fd, nil
	}
	if p == t.cachePath {
		return t.cacheFD, nil
	}
	fd, err := t.mkdirAll(p)
	if err != nil {
		return -1, err
	}
	t.dropCache()
	t.cachePath, t.cacheFD = p, fd
	return fd, nil
}

func (t *tree) mkdirAll(p string) (int, error) {
	fd, err := t.openat(t.fd, p, unix.O_DIRECTORY|unix.O_RDONLY)
	if err != unix.ENOENT {
		return fd, err
	}
	parent, base := split(p)
	pfd := t.fd
	if parent != "" {
		if pfd, err = t.mkdirAll(parent); err != nil {
			return -1, err
		}
		defer unix.Close(pfd)
	}
	if err := unix.Mkdirat(pfd, base, 0o755); err != nil && err != unix.EEXIST {
		return -1, err
	}
	return t.openat(pfd, base, unix.O_DIRECTORY|unix.O_RDONLY)
}

// removeAt deletes base in dirfd (the directory at path dir), recursively for
// directories.
func (t *tree) removeAt(dirfd int, dir, base string) error {
	err := unix.Unlinkat(dirfd, base, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR {
		return err
	}
	// A removed directory may be (or contain) the cached parent.
	removed := base
	if dir != "" {
		removed = dir + "/" + base
	}
	if t.cachePath == removed || strings.HasPrefix(t.cachePath, removed+"/") {
		t.dropCache()
	}
	// The magic link names the already-resolved directory; RemoveAll does not
	// follow the final component or anything below it.
	return os.RemoveAll(fmt.Sprintf("/proc/self/fd/%d/%s", dirfd, base))
}

// procPath names base inside an open directory for calls that have no *at
// form (lsetxattr).
func procPath(dirfd int, base string) string {
	return fmt.Sprintf("/proc/self/fd/%d/%s", dirfd, base)
}

// split splits a clean relative path into its parent ("" for the root) and
// last element.
func split(p string) (string, string) {
	dir, base := path.Split(p)
	return strings.TrimSuffix(dir, "/"), base
}

// cleanName turns a tar entry name into a clean path relative to the layer
// root, refusing names that are absolute or climb out.
func cleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("absolute path not allowed")
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", errEscape
	}
	if c == "." {
		return "", nil
	}
	return c, nil
}
