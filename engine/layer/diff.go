package layer

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// DiffOptions controls Diff.
type DiffOptions struct {
	// Lower, when set, is the tree upper is compared against: entries equal
	// in both are left out, entries only in Lower become whiteouts. When
	// empty, upper is taken as an overlay upperdir (its 0/0 devices and
	// opaque xattrs are whiteouts) or a plain tree written whole.
	Lower       string
	Compression Compression
	// Prefix is put before every entry name (cp writes a tree under its
	// destination path).
	Prefix string
	// Skip leaves out a path (relative, slash-separated) and everything
	// below it: mount points when exporting a running container.
	Skip func(rel string) bool
}

// WriteResult is what writing a layer measured.
type WriteResult struct {
	Digest     digest.Digest // of the bytes written to w
	DiffID     digest.Digest // of the uncompressed tar
	Size       int64         // uncompressed tar bytes
	Compressed int64
}

type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (h *hashWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

// Diff writes the changes in upper as a layer tar with OCI whiteouts,
// compressed as asked, into w. Entries come in lexical order with zeroed
// user/group names, so equal trees give equal diffIDs.
func Diff(ctx context.Context, w io.Writer, upper string, opts DiffOptions) (WriteResult, error) {
	var res WriteResult
	cw := &hashWriter{w: w, h: sha256.New()}
	zw, err := Compress(cw, opts.Compression)
	if err != nil {
		return res, fmt.Errorf("diff %s: %w", upper, err)
	}
	uw := &hashWriter{w: zw, h: sha256.New()}
	d := &differ{ctx: ctx, tw: tar.NewWriter(uw), upper: upper, lower: opts.Lower, prefix: opts.Prefix, skip: opts.Skip,
		links: map[[2]uint64]string{}, buf: make([]byte, 1<<20)}
	if err := d.walk(""); err != nil {
		return res, fmt.Errorf("diff %s: %w", upper, err)
	}
	if err := d.tw.Close(); err != nil {
		return res, fmt.Errorf("diff %s: %w", upper, err)
	}
	if err := zw.Close(); err != nil {
		return res, fmt.Errorf("diff %s: %w", upper, err)
	}
	res.Digest = digest.NewDigest(digest.SHA256, cw.h)
	res.DiffID = digest.NewDigest(digest.SHA256, uw.h)
	res.Size, res.Compressed = uw.n, cw.n
	return res, nil
}

type differ struct {
	ctx          context.Context
	tw           *tar.Writer
	upper, lower string
	links        map[[2]uint64]string // (dev, inode) -> first name, for hardlinks
	buf          []byte
	prefix       string
	skip         func(string) bool
}

func (d *differ) walk(rel string) error {
	if err := d.ctx.Err(); err != nil {
		return err
	}
	ents, err := os.ReadDir(filepath.Join(d.upper, rel))
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, e := range ents {
		name := join(rel, e.Name())
		seen[e.Name()] = true
		if d.skip != nil && d.skip(name) {
			continue
		}
		if err := d.entry(name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if d.lower == "" || isOpaque(filepath.Join(d.upper, rel)) {
		return nil
	}
	lents, err := os.ReadDir(filepath.Join(d.lower, rel))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
			return nil
		}
		return err
	}
	for _, e := range lents {
		if !seen[e.Name()] {
			if err := d.writeWhiteout(join(rel, whiteoutPrefix+e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func (d *differ) entry(name string) error {
	p := filepath.Join(d.upper, name)
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	st := fi.Sys().(*syscall.Stat_t)
	if d.lower == "" && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0 {
		dir, base := split(name)
		return d.writeWhiteout(join(dir, whiteoutPrefix+base))
	}
	changed := d.lower == "" || d.changed(name, fi)
	if changed {
		if err := d.writeEntry(name, p, fi, st); err != nil {
			return err
		}
	}
	if !fi.IsDir() {
		return nil
	}
	if isOpaque(p) {
		if !changed {
			if err := d.writeEntry(name, p, fi, st); err != nil {
				return err
			}
		}
		if err := d.writeWhiteout(join(name, whiteoutOpaque)); err != nil {
			return err
		}
	}
	return d.walk(name)
}

// changed compares an upper entry with the lower tree by metadata, as
// docker's change detection does; content is not read.
func (d *differ) changed(name string, fi fs.FileInfo) bool {
	lfi, err := os.Lstat(filepath.Join(d.lower, name))
	if err != nil {
		return true
	}
	if fi.Mode() != lfi.Mode() {
		return true
	}
	a, b := fi.Sys().(*syscall.Stat_t), lfi.Sys().(*syscall.Stat_t)
	if a.Uid != b.Uid || a.Gid != b.Gid || a.Rdev != b.Rdev {
		return true
	}
	if fi.IsDir() {
		return false // a directory's own change is its children's business
	}
	if fi.Size() != lfi.Size() || !fi.ModTime().Equal(lfi.ModTime()) {
		return true
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		t1, _ := os.Readlink(filepath.Join(d.upper, name))
		t2, _ := os.Readlink(filepath.Join(d.lower, name))
		return t1 != t2
	}
	return false
}

func (d *differ) writeWhiteout(name string) error {
	return d.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: d.prefix + name, Mode: 0o644,
		ModTime: time.Unix(0, 0), Format: tar.FormatPAX})
}

func (d *differ) writeEntry(name, p string, fi fs.FileInfo, st *syscall.Stat_t) error {
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(fi, link)
	if err != nil {
		return err
	}
	hdr.Name = d.prefix + name
	if fi.IsDir() {
		hdr.Name += "/"
	}
	hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
	hdr.Uname, hdr.Gname = "", ""
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.Format = tar.FormatPAX
	if fi.Mode()&(fs.ModeDevice|fs.ModeCharDevice) != 0 {
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	}
	if xs := readXattrs(p); len(xs) > 0 {
		hdr.PAXRecords = xs
	}
	if fi.Mode().IsRegular() && st.Nlink > 1 {
		key := [2]uint64{st.Dev, st.Ino}
		if first, ok := d.links[key]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, d.prefix+first, 0
			return d.tw.WriteHeader(hdr)
		}
		d.links[key] = name
	}
	if err := d.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.CopyBuffer(d.tw, io.LimitReader(f, fi.Size()), d.buf)
	if err == nil && n != fi.Size() {
		err = fmt.Errorf("file changed size while read")
	}
	return err
}

func isOpaque(p string) bool {
	buf := make([]byte, 1)
	n, err := unix.Lgetxattr(p, overlayOpaque, buf)
	return err == nil && n == 1 && buf[0] == 'y'
}

// readXattrs returns p's xattrs as PAX records, leaving out overlay's own.
func readXattrs(p string) map[string]string {
	sz, err := unix.Llistxattr(p, nil)
	if err != nil || sz <= 0 {
		return nil
	}
	buf := make([]byte, sz)
	sz, err = unix.Llistxattr(p, buf)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:sz]), "\x00"), "\x00") {
		if name == "" || strings.HasPrefix(name, "trusted.overlay.") {
			continue
		}
		vsz, err := unix.Lgetxattr(p, name, nil)
		if err != nil || vsz < 0 {
			continue
		}
		v := make([]byte, vsz)
		if vsz, err = unix.Lgetxattr(p, name, v); err == nil {
			out[xattrPAX+name] = string(v[:vsz])
		}
	}
	return out
}
