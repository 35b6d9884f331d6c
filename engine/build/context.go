package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// buildContext is the directory a build reads COPY and ADD sources from,
// seen through .dockerignore.
type buildContext struct {
	root    string
	ignore  *patternmatcher.PatternMatcher // nil: nothing ignored
	dfName  string                         // the Dockerfile's path in the context, always sent
	ignName string
}

// openContext reads the ignore file docker would: Dockerfile.dockerignore
// (named after the Dockerfile) beside the Dockerfile first, then
// .dockerignore at the context root.
func openContext(root, dockerfile string) (*buildContext, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", root, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("build context %s: not a directory", root)
	}
	c := &buildContext{root: abs}
	if rel, err := filepath.Rel(abs, dockerfile); err == nil && !strings.HasPrefix(rel, "..") {
		c.dfName = filepath.ToSlash(rel)
	}
	for _, cand := range []string{dockerfile + ".dockerignore", filepath.Join(abs, ".dockerignore")} {
		f, err := os.Open(cand)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", cand, err)
		}
		pats, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", cand, err)
		}
		pm, err := patternmatcher.New(pats)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cand, err)
		}
		c.ignore, c.ignName = pm, cand
		break
	}
	return c, nil
}

// ignored reports whether rel (slash-separated, relative to the root) is
// left out of the context. The Dockerfile and the ignore file are sent
// regardless, as docker sends them, but only to the builder itself.
func (c *buildContext) ignored(rel string) bool {
	if c.ignore == nil || rel == "." || rel == "" {
		return false
	}
	m, err := c.ignore.MatchesOrParentMatches(rel)
	return err == nil && m
}
