package layer

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// Whiteouts chooses what an OCI whiteout in the tar becomes on disk.
type Whiteouts int

const (
	// OverlayWhiteouts: 0/0 char devices and trusted.overlay.opaque, so the
	// directory works as an overlay lowerdir. Needs root.
	OverlayWhiteouts Whiteouts = iota
	// KeepWhiteouts: the .wh. files are written as empty files, for trees that
	// are only read (analysis) or when overlay whiteouts cannot be made.
	KeepWhiteouts
	// DeleteWhiteouts: the whiteout removes its target, for applying onto a
	// merged root filesystem (copy-based snapshots, export).
	DeleteWhiteouts
)

// ApplyOptions controls Apply.
type ApplyOptions struct {
	// Name identifies the layer in errors (its digest, or a file name).
	Name      string
	Whiteouts Whiteouts
	// SameOwner applies the tar's uid/gid (needs root).
	SameOwner bool
	// AllowDevices permits block and char device entries (needs root).
	AllowDevices bool
	// NoSetuid strips setuid/setgid bits.
	NoSetuid bool
	// MaxBytes bounds the uncompressed stream (0: no bound), against
	// decompression bombs.
	MaxBytes int64
}

// ApplyResult is what one pass over the layer measured.
type ApplyResult struct {
	Digest      digest.Digest // of the stream as given (compressed)
	DiffID      digest.Digest // of the uncompressed tar
	Size        int64         // uncompressed tar bytes
	Compressed  int64         // bytes read from the input
	Compression Compression
}

// ErrTooLarge is returned (wrapped) when a layer exceeds MaxBytes.
var ErrTooLarge = errors.New("layer exceeds the size limit")

// hashReader hashes and counts what passes through it.
type hashReader struct {
	r     io.Reader
	h     hash.Hash
	n     int64
	limit int64
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	if h.limit > 0 && h.n > h.limit {
		return n, ErrTooLarge
	}
	return n, err
}

// Apply unpacks the layer stream r into dir (which must exist), hashing the
// compressed and the uncompressed bytes in the same pass.
func Apply(ctx context.Context, r io.Reader, dir string, opts ApplyOptions) (ApplyResult, error) {
	var res ApplyResult
	fail := func(p string, err error) (ApplyResult, error) {
		return res, &Error{Layer: opts.Name, Path: p, Err: err}
	}
	raw := &hashReader{r: r, h: sha256.New()}
	dr, comp, err := Decompress(raw)
	if err != nil {
		return fail("", err)
	}
	defer dr.Close()
	res.Compression = comp
	un := &hashReader{r: dr, h: sha256.New(), limit: opts.MaxBytes}
	t, err := openTree(dir, opts.Whiteouts == DeleteWhiteouts)
	if err != nil {
		return fail("", err)
	}
	defer t.close()
	a := &applier{t: t, opts: opts, un: un, buf: make([]byte, 1<<20), created: map[string]bool{}}
	tr := tar.NewReader(un)
	for {
		if err := ctx.Err(); err != nil {
			return fail("", err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail("", fmt.Errorf("read tar: %w", err))
		}
		if err := a.entry(hdr, tr); err != nil {
			return fail(hdr.Name, err)
		}
	}
	if err := a.finishDirs(); err != nil {
		return fail("", err)
	}
	// The digests cover every byte, including tar padding and anything after
	// the compressed stream.
	if _, err := io.CopyBuffer(io.Discard, un, a.buf); err != nil {
		return fail("", fmt.Errorf("read tar: %w", err))
	}
	if _, err := io.CopyBuffer(io.Discard, raw, a.buf); err != nil {
		return fail("", fmt.Errorf("read layer: %w", err))
	}
	res.Digest = digest.NewDigest(digest.SHA256, raw.h)
	res.DiffID = digest.NewDigest(digest.SHA256, un.h)
	res.Size, res.Compressed = un.n, raw.n
	return res, nil
}

type dirMeta struct {
	path string
	mode uint32
	hdr  *tar.Header
}

type applier struct {
	t       *tree
	opts    ApplyOptions
	un      *hashReader
	buf     []byte
	dirs    []dirMeta
	created map[string]bool // paths this layer made, for DeleteWhiteouts' opaque dirs
}

func (a *applier) entry(hdr *tar.Header, body io.Reader) error {
	p, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	if p == "" {
		return nil // the root itself: its metadata belongs to the target
	}
	dir, base := split(p)
	if isAufsMeta(p) {
		return nil // aufs bookkeeping (.wh..wh.plnk/...): meaningless here
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		return a.whiteout(p, dir, base)
	}
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	pfd, err := a.t.dir(dir)
	if err != nil {
		return fmt.Errorf("parent directory: %w", err)
	}
	var st unix.Stat_t
	if unix.Fstatat(pfd, base, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		if !(st.Mode&unix.S_IFMT == unix.S_IFDIR && hdr.Typeflag == tar.TypeDir) {
			if err := a.t.removeAt(pfd, dir, base); err != nil {
				return fmt.Errorf("replace existing entry: %w", err)
			}
		}
	}
	if a.opts.Whiteouts == DeleteWhiteouts {
		a.created[p] = true
	}
	mode := uint32(hdr.Mode) & 0o7777
	if a.opts.NoSetuid {
		mode &^= unix.S_ISUID | unix.S_ISGID
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdirat(pfd, base, 0o700); err != nil && err != unix.EEXIST {
			return err
		}
		// Mode and times wait for the end: a read-only directory must still
		// take its children, and each child would reset the mtime.
		a.dirs = append(a.dirs, dirMeta{path: p, mode: mode, hdr: hdr})
		return a.owner(pfd, base, hdr)
	case tar.TypeReg, tar.TypeRegA:
		return a.file(pfd, base, mode, hdr, body)
	case tar.TypeSymlink:
		if err := unix.Symlinkat(hdr.Linkname, pfd, base); err != nil {
			return err
		}
		if err := a.owner(pfd, base, hdr); err != nil {
			return err
		}
		if err := a.xattrs(-1, pfd, base, hdr); err != nil {
			return err
		}
		return times(pfd, base, hdr)
	case tar.TypeLink:
		return a.hardlink(pfd, base, hdr)
	case tar.TypeChar, tar.TypeBlock:
		if !a.opts.AllowDevices {
			return fmt.Errorf("device node not allowed")
		}
		kind := uint32(unix.S_IFCHR)
		if hdr.Typeflag == tar.TypeBlock {
			kind = unix.S_IFBLK
		}
		dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
		if err := unix.Mknodat(pfd, base, kind|mode, int(dev)); err != nil {
			return err
		}
		return a.meta(pfd, base, mode, hdr)
	case tar.TypeFifo:
		if err := unix.Mknodat(pfd, base, unix.S_IFIFO|mode, 0); err != nil {
			return err
		}
		return a.meta(pfd, base, mode, hdr)
	}
	return fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
}

func (a *applier) file(pfd int, base string, mode uint32, hdr *tar.Header, body io.Reader) error {
	if a.opts.MaxBytes > 0 && hdr.Size > a.opts.MaxBytes-a.un.n {
		return fmt.Errorf("%w (%d bytes allowed)", ErrTooLarge, a.opts.MaxBytes)
	}
	fd, err := unix.Openat(pfd, base, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	if _, err := io.CopyBuffer(f, body, a.buf); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if a.opts.SameOwner {
		if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	// After chown, which clears setuid bits.
	if err := unix.Fchmod(fd, mode); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if err := a.xattrs(fd, pfd, base, hdr); err != nil {
		return err
	}
	return times(pfd, base, hdr)
}

func (a *applier) hardlink(pfd int, base string, hdr *tar.Header) error {
	target, err := cleanName(hdr.Linkname)
	if err != nil || target == "" {
		return fmt.Errorf("hardlink target %q: %w", hdr.Linkname, orEscape(err))
	}
	tdir, tbase := split(target)
	tfd := a.t.fd
	if tdir != "" {
		if tfd, err = a.t.openat(a.t.fd, tdir, unix.O_DIRECTORY|unix.O_RDONLY); err != nil {
			return fmt.Errorf("hardlink target %q: %w", hdr.Linkname, err)
		}
		defer unix.Close(tfd)
	}
	// Flags 0: a link to a symlink links the symlink itself, never what it
	// points at, so a link cannot reach outside through one.
	if err := unix.Linkat(tfd, tbase, pfd, base, 0); err != nil {
		return fmt.Errorf("hardlink to %q: %w", hdr.Linkname, err)
	}
	return nil
}

func orEscape(err error) error {
	if err == nil {
		return errEscape
	}
	return err
}

// meta sets owner, mode, xattrs and times on a non-regular, non-link entry.
func (a *applier) meta(pfd int, base string, mode uint32, hdr *tar.Header) error {
	if err := a.owner(pfd, base, hdr); err != nil {
		return err
	}
	if err := unix.Fchmodat(pfd, base, mode, 0); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	if err := a.xattrs(-1, pfd, base, hdr); err != nil {
		return err
	}
	return times(pfd, base, hdr)
}

func (a *applier) owner(pfd int, base string, hdr *tar.Header) error {
	if !a.opts.SameOwner {
		return nil
	}
	if err := unix.Fchownat(pfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	return nil
}

const xattrPAX = "SCHILY.xattr."

// xattrs applies PAX xattr records, through fd when the entry is open.
func (a *applier) xattrs(fd, pfd int, base string, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, xattrPAX)
		if !ok {
			continue
		}
		var err error
		if fd >= 0 {
			err = unix.Fsetxattr(fd, name, []byte(v), 0)
		} else {
			err = unix.Lsetxattr(procPath(pfd, base), name, []byte(v), 0)
		}
		// Filesystems without xattrs, and trusted./security. names an
		// unprivileged user may not set, are not worth failing a layer over.
		if err == unix.ENOTSUP || (err == unix.EPERM && !a.opts.SameOwner) {
			continue
		}
		if err != nil {
			return fmt.Errorf("xattr %s: %w", name, err)
		}
	}
	return nil
}

func times(pfd int, base string, hdr *tar.Header) error {
	at := hdr.AccessTime
	if at.IsZero() {
		at = hdr.ModTime
	}
	ts := []unix.Timespec{toTimespec(at), toTimespec(hdr.ModTime)}
	if err := unix.UtimesNanoAt(pfd, base, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set times: %w", err)
	}
	return nil
}

func toTimespec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{Sec: 0, Nsec: unix.UTIME_OMIT}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

// finishDirs applies directory modes and times, deepest first.
func (a *applier) finishDirs() error {
	a.t.dropCache()
	done := map[string]bool{}
	for i := len(a.dirs) - 1; i >= 0; i-- {
		d := a.dirs[i]
		if done[d.path] {
			continue // a later entry for the same directory won
		}
		done[d.path] = true
		parent, base := split(d.path)
		pfd := a.t.fd
		if parent != "" {
			fd, err := a.t.openat(a.t.fd, parent, unix.O_DIRECTORY|unix.O_RDONLY)
			if err == unix.ENOENT {
				continue // removed by a later entry
			}
			if err != nil {
				return &Error{Layer: a.opts.Name, Path: d.hdr.Name, Err: err}
			}
			pfd = fd
		}
		err := unix.Fchmodat(pfd, base, d.mode, 0)
		if err == nil {
			if err = a.xattrs(-1, pfd, base, d.hdr); err == nil {
				err = times(pfd, base, d.hdr)
			}
		}
		if pfd != a.t.fd {
			unix.Close(pfd)
		}
		if err != nil && !errors.Is(err, unix.ENOENT) {
			return &Error{Layer: a.opts.Name, Path: d.hdr.Name, Err: err}
		}
	}
	return nil
}
