package snapshot

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// Flatten copies layer trees (bottom first, in overlay form) into dest,
// applying their whiteouts: the fallback where overlay cannot be mounted.
// dest then belongs to one container alone, so writes stay private.
func Flatten(dest string, lowersBottomFirst []string) error {
	for _, l := range lowersBottomFirst {
		if err := copyLayer(l, dest); err != nil {
			return fmt.Errorf("flatten %s: %w", l, err)
		}
	}
	return nil
}

func copyLayer(src, dest string) error {
	return filepath.Walk(src, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "." {
			return nil
		}
		dst := filepath.Join(dest, rel)
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0 {
			return os.RemoveAll(dst) // whiteout
		}
		if fi.IsDir() {
			if opaque(p) {
				os.RemoveAll(dst)
			}
			if dfi, err := os.Lstat(dst); err == nil && !dfi.IsDir() {
				os.Remove(dst)
			}
			if err := os.MkdirAll(dst, fi.Mode().Perm()); err != nil {
				return err
			}
			return meta(dst, fi, st)
		}
		if _, err := os.Lstat(dst); err == nil {
			if err := os.RemoveAll(dst); err != nil {
				return err
			}
		}
		switch {
		case fi.Mode().IsRegular():
			if err := copyFile(p, dst, fi.Mode().Perm()); err != nil {
				return err
			}
		case fi.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(t, dst); err != nil {
				return err
			}
		default:
			if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
				return err
			}
		}
		return meta(dst, fi, st)
	})
}

func opaque(p string) bool {
	b := make([]byte, 1)
	n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", b)
	return err == nil && n == 1 && b[0] == 'y'
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func meta(dst string, fi fs.FileInfo, st *syscall.Stat_t) error {
	if os.Geteuid() == 0 {
		if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		if err := os.Chmod(dst, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(fi.ModTime().UnixNano()), unix.NsecToTimespec(fi.ModTime().UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW)
}
