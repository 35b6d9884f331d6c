package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Source is an archive opened for random access by member name.
type Source interface {
	// Open returns a member's content and size.
	Open(name string) (io.ReadCloser, int64, error)
	Close() error
}

// ErrNotFound is returned (wrapped) for a missing member.
var ErrNotFound = errors.New("not in archive")

// OpenSource opens a directory (an OCI layout) or a tar file (docker-archive
// or OCI archive).
func OpenSource(p string) (Source, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	if fi.IsDir() {
		return dirSource{root: p}, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	s, err := indexTar(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("archive %s: %w", p, err)
	}
	return s, nil
}

// memberName confines a member name to the archive: no absolute paths, no
// climbing out.
func memberName(name string) (string, error) {
	c := path.Clean(strings.TrimPrefix(name, "./"))
	if path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("member %q: path escapes the archive", name)
	}
	return c, nil
}

type dirSource struct{ root string }

func (d dirSource) Open(name string) (io.ReadCloser, int64, error) {
	c, err := memberName(name)
	if err != nil {
		return nil, 0, err
	}
	// os.Root keeps symlinks inside the layout from reaching out of it.
	r, err := os.OpenRoot(d.root)
	if err != nil {
		return nil, 0, err
	}
	defer r.Close()
	f, err := r.Open(c)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", name, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s: not a regular file", name)
	}
	return f, fi.Size(), nil
}

func (dirSource) Close() error { return nil }

// tarSource indexes a tar file once so members can be read in any order:
// docker writes manifest.json last, but it is needed first.
type tarSource struct {
	f       *os.File
	members map[string]tarMember
}

type tarMember struct {
	off, size int64
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func indexTar(f *os.File) (*tarSource, error) {
	cr := &countingReader{r: f}
	tr := tar.NewReader(cr)
	s := &tarSource{f: f, members: map[string]tarMember{}}
	links := map[string]string{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && len(s.members) == 0 && len(links) == 0 {
			return nil, fmt.Errorf("not a tar archive (nor an OCI layout directory): %w", err)
		}
		if err != nil {
			return nil, fmt.Errorf("read tar: %w", err)
		}
		name, err := memberName(h.Name)
		if err != nil {
			return nil, err
		}
		switch h.Typeflag {
		case tar.TypeReg:
			// tar.Reader has read exactly the headers so far: the data
			// starts at the current offset. Skip it by seeking.
			s.members[name] = tarMember{off: cr.n, size: h.Size}
		case tar.TypeSymlink:
			links[name] = path.Join(path.Dir(name), h.Linkname)
		case tar.TypeLink:
			links[name] = h.Linkname
		}
	}
	// docker-archive layers are often links to a shared blob.
	for name, target := range links {
		for i := 0; i < 8; i++ {
			if m, ok := s.members[path.Clean(target)]; ok {
				s.members[name] = m
				break
			}
			next, ok := links[path.Clean(target)]
			if !ok {
				break
			}
			target = next
		}
	}
	return s, nil
}

func (s *tarSource) Open(name string) (io.ReadCloser, int64, error) {
	c, err := memberName(name)
	if err != nil {
		return nil, 0, err
	}
	m, ok := s.members[c]
	if !ok {
		return nil, 0, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	return io.NopCloser(io.NewSectionReader(s.f, m.off, m.size)), m.size, nil
}

func (s *tarSource) Close() error { return s.f.Close() }

// ReadSmall reads a metadata member (manifest.json, index.json, a config).
func ReadSmall(s Source, name string, limit int64) ([]byte, error) {
	rc, n, err := s.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if n > limit {
		return nil, fmt.Errorf("%s: %d bytes is over the %d byte limit", name, n, limit)
	}
	return io.ReadAll(io.LimitReader(rc, limit))
}
