package build

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

type hasher struct{ hash.Hash }

func newHash() hasher        { return hasher{sha256.New()} }
func (h hasher) sum() string { return fmt.Sprintf("%x", h.Sum(nil)) }

// tailLines keeps the last lines a failing RUN printed, for its error.
type tailLines struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tailLines) add(l string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, l)
	if len(t.lines) > t.max {
		t.lines = t.lines[1:]
	}
}

func (t *tailLines) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
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
