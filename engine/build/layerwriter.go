package build

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"berth/engine/runtime"
)

// ids is a uid:gid pair.
type ids struct{ uid, gid int }

// layerWriter writes the tar of a COPY/ADD layer: every parent directory
// of what it adds, with the metadata the image below has (or fresh, when
// new), so the layer never changes a directory it only passes through.
type layerWriter struct {
	tw    *tar.Writer
	dest  view
	owner *ids // --chown
	chmod *int64
	done  map[string]bool // paths already written
}

func (w *layerWriter) start(out io.Writer) { w.tw = tar.NewWriter(out) }
func (w *layerWriter) close() error        { return w.tw.Close() }

// parents writes the directories above target (a slash path, no leading /).
func (w *layerWriter) parents(target string) error {
	dir := path.Dir("/" + target)
	if dir == "/" {
		return nil
	}
	rel := strings.TrimPrefix(dir, "/")
	if w.done[rel] {
		return nil
	}
	if err := w.parents(rel); err != nil {
		return err
	}
	return w.dir(rel, nil)
}

// dir writes directory rel: with fi's metadata when given (a copied
// directory), else the existing one's, else a new root-owned 0755 one.
func (w *layerWriter) dir(rel string, fi fs.FileInfo) error {
	if w.done[rel] {
		return nil
	}
	w.done[rel] = true
	hdr := &tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: 0o755, ModTime: time.Unix(0, 0)}
	created := false
	if fi != nil {
		fill(hdr, fi)
	} else if _, efi, err := w.dest.lstat(rel); err == nil && efi.IsDir() {
		fill(hdr, efi)
	} else {
		created = true
		hdr.ModTime = time.Now().Truncate(time.Second)
	}
	if created && w.owner != nil {
		hdr.Uid, hdr.Gid = w.owner.uid, w.owner.gid
	}
	return w.tw.WriteHeader(hdr)
}

// fill copies mode, owner and mtime from fi.
func fill(hdr *tar.Header, fi fs.FileInfo) {
	hdr.Mode = int64(fi.Mode().Perm())
	if fi.Mode()&fs.ModeSetuid != 0 {
		hdr.Mode |= 0o4000
	}
	if fi.Mode()&fs.ModeSetgid != 0 {
		hdr.Mode |= 0o2000
	}
	if fi.Mode()&fs.ModeSticky != 0 {
		hdr.Mode |= 0o1000
	}
	hdr.ModTime = fi.ModTime().Truncate(time.Second)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
	}
}

// file writes one copied entry at target.
func (w *layerWriter) file(target string, e entry, keepOwner bool) error {
	if err := w.parents(target); err != nil {
		return err
	}
	hdr := &tar.Header{Name: target}
	fill(hdr, e.fi)
	if !keepOwner {
		hdr.Uid, hdr.Gid = 0, 0
	}
	if w.owner != nil {
		hdr.Uid, hdr.Gid = w.owner.uid, w.owner.gid
	}
	if w.chmod != nil {
		hdr.Mode = *w.chmod
	}
	m := e.fi.Mode()
	switch {
	case m.IsDir():
		if w.done[target] {
			return nil
		}
		w.done[target] = true
		hdr.Typeflag, hdr.Name = tar.TypeDir, target+"/"
		return w.tw.WriteHeader(hdr)
	case m&fs.ModeSymlink != 0:
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, e.link
		if w.chmod != nil {
			hdr.Mode = 0o777
		}
		return w.tw.WriteHeader(hdr)
	case m&fs.ModeNamedPipe != 0:
		hdr.Typeflag = tar.TypeFifo
		return w.tw.WriteHeader(hdr)
	case m.IsRegular():
		f, err := os.Open(e.host)
		if err != nil {
			return err
		}
		defer f.Close()
		hdr.Typeflag, hdr.Size = tar.TypeReg, e.fi.Size()
		if err := w.tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := io.CopyN(w.tw, f, hdr.Size); err != nil {
			return fmt.Errorf("copy %s: %w", e.host, err)
		}
		return nil
	}
	return nil // sockets and devices are not copied, as docker skips them
}

// bytes writes a file made here (a heredoc, a download).
func (w *layerWriter) bytes(target string, r io.Reader, size int64, mode int64, mtime time.Time) error {
	if err := w.parents(target); err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: target, Size: size, Mode: mode, ModTime: mtime.Truncate(time.Second)}
	if w.owner != nil {
		hdr.Uid, hdr.Gid = w.owner.uid, w.owner.gid
	}
	if w.chmod != nil {
		hdr.Mode = *w.chmod
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := io.CopyN(w.tw, r, size)
	return err
}

// writeItem writes one COPY/ADD source under the plan's destination.
func (b *builder) writeItem(ctx context.Context, w *layerWriter, p copyPlan, it copyItem, fl copyFlags, env []string) error {
	switch {
	case it.heredoc != nil:
		body := it.heredoc.Content
		if it.heredoc.Expand {
			// Only variables are substituted in a heredoc, not quotes.
			var err error
			if body, err = b.expandHeredoc(body, env); err != nil {
				return err
			}
		}
		target := p.target
		if p.isDir {
			target = join(p.target, it.heredoc.Name)
		}
		return w.bytes(target, strings.NewReader(body), int64(len(body)), 0o644, time.Now())
	case it.url != "":
		return b.writeURL(ctx, w, p, it.url, fl.checksum)
	case it.archive:
		if p.target != "" {
			if err := w.parents(p.target + "/x"); err != nil {
				return err
			}
		}
		return b.unpackArchive(w, p.target, it)
	}
	if it.isDir {
		if p.target != "" {
			if err := w.parents(p.target); err != nil {
				return err
			}
		}
		return it.src.walk(it.rel, true, func(e entry) error {
			if e.rel == "" {
				if p.target == "" {
					return nil // never rewrite / itself
				}
				if _, fi, err := w.dest.lstat(p.target); err == nil && fi.IsDir() {
					return w.dir(p.target, nil)
				}
				return w.file(p.target, e, it.src.keepOwner)
			}
			return w.file(join(p.target, e.rel), e, it.src.keepOwner)
		})
	}
	target := p.target
	if p.isDir {
		target = join(p.target, path.Base("/"+it.rel))
	}
	return it.src.walk(it.rel, true, func(e entry) error {
		return w.file(target, e, it.src.keepOwner)
	})
}

func join(dir, name string) string { return strings.TrimPrefix(dir+"/"+name, "/") }

// owner resolves a user[:group] against the destination image's passwd and
// group files, as docker does.
func (b *builder) owner(dv view, chown string) (*ids, error) {
	if chown == "" {
		return nil, nil
	}
	tmp, err := os.MkdirTemp(b.e.Store.Path("tmp"), "chown-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Mkdir(tmp+"/etc", 0o755); err != nil {
		return nil, err
	}
	for _, f := range []string{"etc/passwd", "etc/group"} {
		if host, _, err := dv.stat(f); err == nil {
			if data, err := os.ReadFile(host); err == nil {
				os.WriteFile(tmp+"/"+f, data, 0o644)
			}
		}
	}
	u, _, err := runtime.ResolveUser(tmp, chown)
	if err != nil {
		return nil, err
	}
	return &ids{int(u.UID), int(u.GID)}, nil
}
