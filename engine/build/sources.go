package build

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

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

// hashTree feeds h what makes the files under rel themselves: paths,
// content, mode and (for stages and images) owner, never mtime, so touching
// a file keeps the cache. Contents are hashed in parallel: a COPY of
// thousands of small files is otherwise all syscalls on one core.
func (src *source) hashTree(h io.Writer, rel string) error {
	var ents []entry
	if err := src.walk(rel, true, func(e entry) error { ents = append(ents, e); return nil }); err != nil {
		return err
	}
	sums := make([][sha256.Size]byte, len(ents))
	errs := make([]error, len(ents))
	var wg sync.WaitGroup
	next := make(chan int)
	for range max(1, min(goruntime.GOMAXPROCS(0)*2, 8)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			for i := range next {
				sums[i], errs[i] = fileSum(ents[i].host, buf)
			}
		}()
	}
	for i, e := range ents {
		if e.fi.Mode().IsRegular() {
			next <- i
		}
	}
	close(next)
	wg.Wait()
	for i, e := range ents {
		if errs[i] != nil {
			return errs[i]
		}
		mode := e.fi.Mode()
		fmt.Fprintf(h, "%s\x00%o\x00%s\x00", e.rel, uint32(mode), e.link)
		if src.keepOwner {
			if st, ok := e.fi.Sys().(*syscall.Stat_t); ok {
				fmt.Fprintf(h, "%d:%d\x00", st.Uid, st.Gid)
			}
		}
		if mode.IsRegular() {
			fmt.Fprintf(h, "%d\x00%x\x00", e.fi.Size(), sums[i])
		}
	}
	return nil
}

// fileSum hashes a file with plain syscalls (no poller registration).
func fileSum(p string, buf []byte) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return sum, fmt.Errorf("read %s: %w", p, err)
	}
	defer unix.Close(fd)
	h := sha256.New()
	for {
		n, err := unix.Read(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return sum, fmt.Errorf("read %s: %w", p, err)
		}
		if n == 0 {
			break
		}
		h.Write(buf[:n])
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// copyTree copies what src shows under rel into dir (a bind mount of the
// context with its ignored files left out).
func copyTree(src *source, rel, dir string) error {
	return src.walk(rel, true, func(e entry) error {
		p := filepath.Join(dir, filepath.FromSlash(e.rel))
		m := e.fi.Mode()
		switch {
		case m.IsDir():
			return os.MkdirAll(p, m.Perm()|0o700)
		case m&os.ModeSymlink != 0:
			return os.Symlink(e.link, p)
		case m.IsRegular():
			in, err := os.Open(e.host)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_EXCL, m.Perm())
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, in); err != nil {
				out.Close()
				return err
			}
			return out.Close()
		}
		return nil
	})
}
