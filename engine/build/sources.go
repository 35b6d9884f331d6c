package build

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"

	"github.com/opencontainers/go-digest"
)

// source is a tree COPY, ADD and RUN --mount read from: the build context
// (seen through .dockerignore) or the layers of a stage or an image.
type source struct {
	v      view
	ignore func(rel string) bool // nil: nothing is ignored
	// keepOwner keeps files' uid/gid (stages, images); files from the
	// context become root's, as docker makes them.
	keepOwner bool
	// exceptions: the ignore file has "!" patterns.
	exceptions bool
	// key names a stage's or image's content, so its files need not be
	// hashed for the cache key; empty for the context.
	key  digest.Digest
	name string // for errors
}

// entry is one file to copy.
type entry struct {
	rel  string // slash path inside the source
	host string // where to read it
	fi   fs.FileInfo
	link string // symlink target
}

func (src *source) ignored(rel string) bool {
	return src.ignore != nil && src.ignore(rel)
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

// match expands one COPY source (a path or a glob) into existing paths.
func (src *source) match(pattern string) ([]string, error) {
	clean := strings.Trim(path.Clean("/"+pattern), "/")
	if !hasMeta(clean) {
		if clean == "" {
			return []string{""}, nil
		}
		if _, _, err := src.v.lstat(clean); err != nil || src.ignored(clean) {
			return nil, nil
		}
		return []string{clean}, nil
	}
	cur := []string{""}
	for _, part := range strings.Split(clean, "/") {
		var next []string
		for _, dir := range cur {
			if !hasMeta(part) {
				p := strings.TrimPrefix(dir+"/"+part, "/")
				if _, _, err := src.v.lstat(p); err == nil {
					next = append(next, p)
				}
				continue
			}
			names, err := src.v.readDir(dir)
			if err != nil {
				continue
			}
			for _, n := range names {
				ok, err := path.Match(part, n)
				if err != nil {
					return nil, fmt.Errorf("bad pattern %q: %w", pattern, err)
				}
				if ok {
					next = append(next, strings.TrimPrefix(dir+"/"+n, "/"))
				}
			}
		}
		cur = next
	}
	var out []string
	for _, p := range cur {
		if !src.ignored(p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// walk calls fn for rel and, when it is a directory, for everything below
// it in lexical order, leaving ignored paths out. follow resolves a symlink
// at rel itself (docker follows the source path, not links inside it).
// Entries' rel is relative to rel ("" for rel itself).
func (src *source) walk(rel string, follow bool, fn func(e entry) error) error {
	var host string
	var fi fs.FileInfo
	var err error
	if follow {
		host, fi, err = src.v.stat(rel)
	} else {
		host, fi, err = src.v.lstat(rel)
	}
	if err != nil {
		return fmt.Errorf("%s: %s: %w", src.name, displayPath(rel), err)
	}
	if err := src.emit(entry{rel: "", host: host, fi: fi}, fn); err != nil {
		return err
	}
	if !fi.IsDir() {
		return nil
	}
	dir := rel
	if follow {
		if dir, err = src.v.resolve(rel); err != nil {
			return err
		}
	}
	return src.walkDir(dir, "", fn)
}

func (src *source) walkDir(dir, shown string, fn func(e entry) error) error {
	names, err := src.v.readDir(dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		child := strings.TrimPrefix(dir+"/"+n, "/")
		show := strings.TrimPrefix(shown+"/"+n, "/")
		host, fi, err := src.v.lstat(child)
		if err != nil {
			continue
		}
		skip := src.ignored(child)
		if !skip {
			if err := src.emit(entry{rel: show, host: host, fi: fi}, fn); err != nil {
				return err
			}
		}
		// An ignored directory is still entered when a "!" pattern may
		// bring back something below it.
		if fi.IsDir() && (!skip || src.exceptions) {
			if err := src.walkDir(child, show, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func (src *source) emit(e entry, fn func(e entry) error) error {
	if e.fi.Mode()&fs.ModeSymlink != 0 {
		l, err := os.Readlink(e.host)
		if err != nil {
			return err
		}
		e.link = l
	}
	return fn(e)
}

func displayPath(rel string) string { return "/" + rel }

// hashEntry adds what makes a copied file itself to h: content, mode and
// owner, never mtime, so touching a file keeps the cache.
func hashEntry(h io.Writer, e entry, keepOwner bool) error {
	mode := e.fi.Mode()
	fmt.Fprintf(h, "%s\x00%o\x00%s\x00", e.rel, uint32(mode), e.link)
	if keepOwner {
		if st, ok := e.fi.Sys().(*syscall.Stat_t); ok {
			fmt.Fprintf(h, "%d:%d\x00", st.Uid, st.Gid)
		}
	}
	if !mode.IsRegular() {
		return nil
	}
	f, err := os.Open(e.host)
	if err != nil {
		return err
	}
	defer f.Close()
	fh := sha256.New()
	n, err := io.Copy(fh, f)
	if err != nil {
		return fmt.Errorf("read %s: %w", e.host, err)
	}
	fmt.Fprintf(h, "%d\x00%x\x00", n, fh.Sum(nil))
	return nil
}
