package build

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// view reads a stack of unpacked layers as the merged tree overlayfs would
// show, without mounting it: COPY needs to know whether its destination is
// a directory, --chown needs /etc/passwd, and a mount would cost time and
// risk a leak for a few lookups.
type view struct {
	dirs []string // layer trees, top first
	// plain marks a single ordinary directory (the build context): no
	// whiteouts there, a .wh. file is just a file.
	plain bool
}

var errNotExist = fs.ErrNotExist

// lstat finds rel (slash-separated, relative to /) in the topmost layer
// holding it, honouring whiteouts and opaque directories. It does not follow
// a symlink in the last component.
func (v view) lstat(rel string) (string, fs.FileInfo, error) {
	rel = strings.Trim(path.Clean("/"+rel), "/")
	if rel == "" {
		if len(v.dirs) == 0 {
			return "", nil, errNotExist
		}
		fi, err := os.Lstat(v.dirs[0])
		return v.dirs[0], fi, err
	}
	parts := strings.Split(rel, "/")
	for _, d := range v.dirs {
		p := d
		for i, part := range parts {
			p = filepath.Join(p, part)
			fi, err := os.Lstat(p)
			if err != nil {
				if !v.plain && keptWhiteout(p) {
					return "", nil, errNotExist
				}
				break // not in this layer: a lower one may have it
			}
			if !v.plain && whiteout(fi) {
				return "", nil, errNotExist
			}
			if i == len(parts)-1 {
				return p, fi, nil
			}
			if !fi.IsDir() {
				return "", nil, errNotExist // a file hides everything below
			}
			if !v.plain && opaque(p) {
				// Lower layers cannot contribute below p; finish here.
				rest := filepath.Join(append([]string{p}, parts[i+1:]...)...)
				fi, err := os.Lstat(rest)
				if err != nil || whiteout(fi) {
					return "", nil, errNotExist
				}
				return rest, fi, nil
			}
		}
	}
	return "", nil, errNotExist
}

// resolve follows symlinks in rel inside the merged root, as the kernel
// would inside the container, and returns the resolved relative path
// (which may not exist in its last component).
func (v view) resolve(rel string) (string, error) {
	parts := strings.Split(strings.Trim(path.Clean("/"+rel), "/"), "/")
	cur := ""
	for hops := 0; len(parts) > 0; {
		part := parts[0]
		parts = parts[1:]
		if part == "" || part == "." {
			continue
		}
		if part == ".." {
			cur = strings.Trim(path.Dir("/"+cur), "/")
			continue
		}
		next := strings.Trim(cur+"/"+part, "/")
		hp, fi, err := v.lstat(next)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > 40 {
			return "", errors.New("too many levels of symbolic links in " + rel)
		}
		target, err := os.Readlink(hp)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			cur = ""
		}
		parts = append(strings.Split(target, "/"), parts...)
	}
	return cur, nil
}

// stat is lstat after resolving symlinks.
func (v view) stat(rel string) (string, fs.FileInfo, error) {
	r, err := v.resolve(rel)
	if err != nil {
		return "", nil, err
	}
	return v.lstat(r)
}

func whiteout(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Rdev == 0
}

func opaque(p string) bool {
	buf := make([]byte, 1)
	n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// keptWhiteout finds the .wh. file a store unpacked without root keeps in
// place of an overlay whiteout.
func keptWhiteout(p string) bool {
	_, err := os.Lstat(filepath.Join(filepath.Dir(p), ".wh."+filepath.Base(p)))
	return err == nil
}

// readDir lists the merged directory rel: names from every layer down to
// the first opaque one, minus whiteouts, sorted.
func (v view) readDir(rel string) ([]string, error) {
	rel = strings.Trim(path.Clean("/"+rel), "/")
	seen := map[string]bool{}
	var names []string
	found := false
	for _, d := range v.dirs {
		p := filepath.Join(d, rel)
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		if !fi.IsDir() {
			break
		}
		found = true
		ents, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			n := e.Name()
			if seen[n] {
				continue
			}
			seen[n] = true
			if strings.HasPrefix(n, ".wh.") && !v.plain {
				seen[strings.TrimPrefix(n, ".wh.")] = true
				continue
			}
			if e.Type()&fs.ModeCharDevice != 0 && !v.plain {
				if fi, err := e.Info(); err == nil && whiteout(fi) {
					continue
				}
			}
			names = append(names, n)
		}
		if v.plain || opaque(p) {
			break
		}
	}
	if !found {
		return nil, errNotExist
	}
	sort.Strings(names)
	return names, nil
}
