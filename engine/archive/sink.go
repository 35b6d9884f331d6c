package archive

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Sink receives the members of an archive being written.
type Sink interface {
	// Add writes a member of exactly size bytes from r.
	Add(name string, size int64, r io.Reader) error
	Close() error
}

// TarSink writes members into a tar stream.
type TarSink struct {
	tw   *tar.Writer
	dirs map[string]bool
}

// NewTarSink writes a tar into w.
func NewTarSink(w io.Writer) *TarSink {
	return &TarSink{tw: tar.NewWriter(w), dirs: map[string]bool{}}
}

// epoch keeps saved archives byte-identical across runs.
var epoch = time.Unix(0, 0)

func (t *TarSink) Add(name string, size int64, r io.Reader) error {
	var missing []string
	for d := filepath.Dir(name); d != "." && !t.dirs[d]; d = filepath.Dir(d) {
		t.dirs[d] = true
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := t.tw.WriteHeader(&tar.Header{Name: missing[i] + "/", Mode: 0o755, Typeflag: tar.TypeDir,
			ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return fmt.Errorf("write %s: %w", missing[i], err)
		}
	}
	hdr := &tar.Header{Name: name, Size: size, Mode: 0o644, Typeflag: tar.TypeReg, ModTime: epoch, Format: tar.FormatPAX}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	n, err := io.Copy(t.tw, r)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("write %s: %d bytes, expected %d", name, n, size)
	}
	return nil
}

func (t *TarSink) Close() error { return t.tw.Close() }

// DirSink writes members as files under a directory.
type DirSink struct{ root string }

// NewDirSink writes into dir, creating it.
func NewDirSink(dir string) (*DirSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	return &DirSink{root: dir}, nil
}

func (d *DirSink) Add(name string, size int64, r io.Reader) error {
	c, err := memberName(name)
	if err != nil {
		return err
	}
	p := filepath.Join(d.root, filepath.FromSlash(c))
	if fi, err := os.Stat(p); err == nil && fi.Size() == size && filepath.Dir(c) == "blobs/sha256" {
		return nil // content-addressed: already there means already right
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("%d bytes, expected %d", n, size)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

func (d *DirSink) Close() error { return nil }
