package engine

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"berth/engine/layer"
)

// mountSkipper returns a filter for paths that are mount points inside a
// running container (/proc, /sys, /dev, volumes): export and cp read the
// container's own files, not those.
func mountSkipper(ci ContainerInfo) func(string) bool {
	if !running(ci.State) || ci.State.Pid == 0 {
		return nil
	}
	f, err := os.Open("/proc/" + strconv.Itoa(ci.State.Pid) + "/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	mounts := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 4 && fs[4] != "/" {
			mounts[strings.TrimPrefix(fs[4], "/")] = true
		}
	}
	return func(rel string) bool { return mounts[rel] }
}

// CopyOut copies src (a path inside the container) to dst on the host, as
// `docker cp CONTAINER:SRC DST`.
func (e *Engine) CopyOut(ctx context.Context, ref, src, dst string) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	return e.withRootfs(ci, func(root string) error {
		fd, err := openIn(root, src)
		if err != nil {
			return fmt.Errorf("cp %s:%s: %w", ci.Record.Name, src, err)
		}
		defer unix.Close(fd)
		from := fmt.Sprintf("/proc/self/fd/%d", fd)
		name := path.Base(path.Clean("/" + src))
		dstDir, dstName := dst, name
		if fi, err := os.Stat(dst); err != nil || !fi.IsDir() {
			dstDir, dstName = filepath.Dir(dst), filepath.Base(dst)
		}
		return copyTree(ctx, from, dstDir, dstName, layer.KeepWhiteouts)
	})
}

// CopyIn copies src on the host to dst inside the container.
func (e *Engine) CopyIn(ctx context.Context, ref, src, dst string) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(src); err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	return e.withRootfs(ci, func(root string) error {
		rel := strings.TrimPrefix(path.Clean("/"+dst), "/")
		name := filepath.Base(src)
		parent, target := rel, name
		if fd, err := openIn(root, rel); err != nil || !isDirFD(fd) {
			if err == nil {
				unix.Close(fd)
			}
			parent, target = path.Dir(rel), path.Base(rel)
		} else {
			unix.Close(fd)
		}
		if parent == "." {
			parent = ""
		}
		// Names carry the destination path and are applied with the
		// container's root as "/", so no symlink in it can lead outside.
		prefix := target
		if parent != "" {
			prefix = parent + "/" + target
		}
		return copyTree(ctx, src, root, prefix, layer.DeleteWhiteouts)
	})
}

func isDirFD(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// openIn resolves p inside root as if root were "/".
func openIn(root, p string) (int, error) {
	rfd, err := unix.Open(root, unix.O_DIRECTORY|unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(rfd)
	rel := strings.TrimPrefix(path.Clean("/"+p), "/")
	if rel == "" {
		rel = "."
	}
	return unix.Openat2(rfd, rel, &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
}

// copyTree streams src (file or directory) as a tar whose names start with
// prefix, and applies it under dstRoot.
func copyTree(ctx context.Context, src, dstRoot, prefix string, mode layer.Whiteouts) error {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeTree(ctx, pw, src, prefix))
	}()
	_, err := layer.Apply(ctx, pr, dstRoot, layer.ApplyOptions{Name: "cp", Whiteouts: mode, SameOwner: os.Geteuid() == 0})
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	return nil
}

func writeTree(ctx context.Context, w io.Writer, src, prefix string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		tw := tar.NewWriter(w)
		hdr, _ := tar.FileInfoHeader(fi, "")
		hdr.Name, hdr.Uname, hdr.Gname = prefix+"/", "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		// Diff writes the rest (and the end-of-archive blocks).
		_, err := layer.Diff(ctx, w, src, layer.DiffOptions{Prefix: prefix + "/"})
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(w)
	hdr, err := tar.FileInfoHeader(fi, "")
	if err != nil {
		return err
	}
	hdr.Name, hdr.Uname, hdr.Gname = prefix, "", ""
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, f); err != nil {
		return err
	}
	return tw.Close()
}
