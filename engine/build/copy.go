package build

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/opencontainers/go-digest"

	"berth/engine/image"
	"berth/engine/layer"
)

// copyFlags are COPY's and ADD's options.
type copyFlags struct {
	from     string
	chown    string
	chmod    *int64
	checksum digest.Digest
}

func (b *builder) copyFlags(ins Instruction, env []string) (copyFlags, error) {
	var f copyFlags
	name := strings.ToUpper(ins.Cmd)
	for _, fl := range ins.Flags {
		k, v, _ := strings.Cut(strings.TrimPrefix(fl, "--"), "=")
		v, err := b.df.Expand(v, env)
		if err != nil {
			return f, b.errAt(ins.Line, "%s --%s: %v", name, k, err)
		}
		switch {
		case k == "from":
			f.from = v
		case k == "chown":
			f.chown = v
		case k == "chmod":
			m, err := strconv.ParseInt(v, 8, 32)
			if err != nil || m < 0 || m > 0o7777 {
				return f, b.errAt(ins.Line, "%s --chmod=%s: want an octal mode such as 0755", name, v)
			}
			f.chmod = &m
		case k == "link":
			// Layers here never depend on what is below them anyway.
		case k == "checksum" && ins.Cmd == "add":
			d, err := digest.Parse(v)
			if err != nil {
				return f, b.errAt(ins.Line, "ADD --checksum=%s: %v", v, err)
			}
			f.checksum = d
		default:
			return f, b.errAt(ins.Line, "%s: unknown flag --%s", name, k)
		}
	}
	if f.from != "" && ins.Cmd == "add" {
		return f, b.errAt(ins.Line, "ADD does not take --from; use COPY --from")
	}
	return f, nil
}

// copyItem is one source of a COPY or ADD.
type copyItem struct {
	src     *source
	rel     string // in src
	heredoc *parser.Heredoc
	url     string
	archive bool // ADD: a local tar, unpacked at the destination
	isDir   bool
}

// copyStep runs COPY and ADD: their files become one layer, written as a
// tar straight into the store.
func (b *builder) copyStep(ctx context.Context, s *state, ins Instruction, si stepInfo) (bool, error) {
	name := strings.ToUpper(ins.Cmd)
	env := s.exprEnv()
	fl, err := b.copyFlags(ins, env)
	if err != nil {
		return false, err
	}
	var words []string
	for _, a := range ins.Args {
		if heredocFor(ins, a) != nil {
			words = append(words, a)
			continue
		}
		w, err := b.df.Expand(a, env)
		if err != nil {
			return false, b.errAt(ins.Line, "%s: %v", name, err)
		}
		words = append(words, w)
	}
	if len(words) < 2 {
		return false, b.errAt(ins.Line, "%s needs at least one source and a destination", name)
	}
	destWord := words[len(words)-1]
	src, err := b.copySource(ctx, s, fl.from, si)
	if err != nil {
		return false, b.errAt(ins.Line, "%s --from=%s: %v", name, fl.from, err)
	}
	var items []copyItem
	for _, w := range words[:len(words)-1] {
		if hd := heredocFor(ins, w); hd != nil {
			items = append(items, copyItem{heredoc: hd})
			continue
		}
		if ins.Cmd == "add" && isURL(w) {
			items = append(items, copyItem{url: w})
			continue
		}
		matches, err := src.match(w)
		if err != nil {
			return false, b.errAt(ins.Line, "%s %s: %v", name, w, err)
		}
		if len(matches) == 0 {
			where := src.name
			if src.ignore != nil {
				where += " or excluded by .dockerignore"
			}
			return false, b.errAt(ins.Line, "%s failed: %s: not found in %s", name, w, where)
		}
		for _, m := range matches {
			_, fi, err := src.v.stat(m)
			if err != nil {
				return false, b.errAt(ins.Line, "%s %s: %v", name, w, err)
			}
			it := copyItem{src: src, rel: m, isDir: fi.IsDir()}
			if ins.Cmd == "add" && !it.isDir && fl.from == "" {
				if it.archive, err = isArchive(src, m); err != nil {
					return false, b.errAt(ins.Line, "ADD %s: %v", w, err)
				}
			}
			items = append(items, it)
		}
	}
	dv := b.view(s)
	plan, err := b.destination(s, dv, destWord, items)
	if err != nil {
		return false, b.errAt(ins.Line, "%s: %v", name, err)
	}
	owner, err := b.owner(dv, fl.chown)
	if err != nil {
		return false, b.errAt(ins.Line, "%s --chown=%s: %v", name, fl.chown, err)
	}
	if owner != nil && !strings.Contains(fl.chown, ":") {
		// COPY --chown=user means that user's uid as the group too.
		owner.gid = owner.uid
	}
	w := &layerWriter{dest: dv, owner: owner, chmod: fl.chmod, done: map[string]bool{}}
	h := sha256.New()
	for i := range items {
		if err := b.hashItem(ctx, h, &items[i], fl, env); err != nil {
			return false, b.errAt(ins.Line, "%s: %v", name, err)
		}
	}
	createdBy := name + " " + strings.Join(words, " ")
	// The flags after expansion: --chown=$UID changes with the arg.
	chmod := ""
	if fl.chmod != nil {
		chmod = fmt.Sprintf("%o", *fl.chmod)
	}
	key := stepKey(s.key, ins.Cmd, fl.from, fl.chown, owner, chmod, fl.checksum, destWord, plan.target, fmt.Sprintf("%x", h.Sum(nil)))
	if l, ok := b.cachedLayer(ctx, s, key); ok {
		return true, b.record(s, key, createdBy, l)
	}
	b.ran()
	l, err := b.writeLayer(ctx, s, name, func(tw *layerWriter) error {
		for _, it := range items {
			if err := b.writeItem(ctx, tw, plan, it, fl, env); err != nil {
				return err
			}
		}
		return nil
	}, w)
	if err != nil {
		return false, b.errAt(ins.Line, "%s: %v", name, err)
	}
	return false, b.record(s, key, createdBy, l)
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

func heredocFor(ins Instruction, word string) *parser.Heredoc {
	if !strings.HasPrefix(word, "<<") {
		return nil
	}
	name := strings.TrimLeft(strings.TrimPrefix(word, "<<"), "-")
	name = strings.Trim(name, `"'`)
	for i := range ins.Heredocs {
		if ins.Heredocs[i].Name == name {
			return &ins.Heredocs[i]
		}
	}
	return nil
}

// copySource is where a COPY reads: the context, an earlier stage or an
// image.
func (b *builder) copySource(ctx context.Context, s *state, from string, si stepInfo) (*source, error) {
	if from == "" {
		return b.contextSource(), nil
	}
	if j := b.stageIndex(from, si.stage); j >= 0 {
		dep := b.stages[j]
		<-dep.done
		if dep.err != nil {
			return nil, fmt.Errorf("stage %s failed", from)
		}
		return &source{v: b.view(dep.res), keepOwner: true, key: dep.res.key, name: "stage " + from}, nil
	}
	im, err := b.image(ctx, from)
	if err != nil {
		return nil, err
	}
	v := view{}
	chains := im.ChainIDs()
	for i := len(chains) - 1; i >= 0; i-- {
		v.dirs = append(v.dirs, b.e.Store.LayerDir(chains[i]))
	}
	return &source{v: v, keepOwner: true, key: stepKey("", "image", im.ID), name: "image " + from}, nil
}

func (b *builder) contextSource() *source {
	src := &source{v: view{dirs: []string{b.bctx.root}, plain: true}, name: "build context"}
	if b.bctx.ignore != nil {
		src.ignore = b.bctx.ignored
		src.exceptions = b.bctx.ignore.Exclusions()
	}
	return src
}

// hashItem feeds the cache key what the item will copy: file contents and
// modes for the context, the stage's key for a stage, the body of a
// heredoc, the checksum (or the bytes) of a URL.
func (b *builder) hashItem(ctx context.Context, h io.Writer, it *copyItem, fl copyFlags, env []string) error {
	switch {
	case it.heredoc != nil:
		fmt.Fprintf(h, "heredoc\x00%s\x00%t\x00%s\x00", it.heredoc.Name, it.heredoc.Expand, it.heredoc.Content)
		if it.heredoc.Expand {
			fmt.Fprintf(h, "%q\x00", env)
		}
		return nil
	case it.url != "":
		d, err := b.urlDigest(ctx, it.url, fl.checksum)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "url\x00%s\x00%s\x00", it.url, d)
		return nil
	case it.src.key != "":
		fmt.Fprintf(h, "from\x00%s\x00%s\x00", it.src.key, it.rel)
		return nil
	}
	fmt.Fprintf(h, "src\x00%s\x00%t\x00", it.rel, it.archive)
	return it.src.hashTree(h, it.rel)
}

// copyPlan is where items land.
type copyPlan struct {
	target string // resolved slash path of the destination, no leading /
	isDir  bool   // the destination is a directory: items go inside it
}

// destination applies docker's rules: a trailing slash, an existing
// directory, several sources or a directory source make it a directory.
func (b *builder) destination(s *state, dv view, dest string, items []copyItem) (copyPlan, error) {
	abs := absPath(s.cfg.Config.WorkingDir, dest)
	trailing := strings.HasSuffix(dest, "/") || strings.HasSuffix(dest, "/.") || dest == "."
	rel := strings.Trim(abs, "/")
	resolved, err := dv.resolve(rel)
	if err != nil {
		return copyPlan{}, err
	}
	_, fi, statErr := dv.lstat(resolved)
	existingDir := statErr == nil && fi.IsDir()
	if len(items) > 1 && !trailing && !existingDir {
		return copyPlan{}, fmt.Errorf("with more than one source the destination must be a directory and end with a /: %s", dest)
	}
	p := copyPlan{target: resolved, isDir: trailing || existingDir || len(items) > 1}
	if len(items) == 1 && (items[0].isDir || items[0].archive) {
		p.isDir = true
	}
	if !p.isDir {
		// A file destination: resolve its directory but not the name itself.
		parent, err := dv.resolve(path.Dir("/" + rel))
		if err != nil {
			return copyPlan{}, err
		}
		p.target = strings.Trim(parent+"/"+path.Base("/"+rel), "/")
	}
	return p, nil
}

// writeLayer streams a tar made by fill through gzip into the store, where
// it is unpacked in the same pass.
func (b *builder) writeLayer(ctx context.Context, s *state, name string, fill func(*layerWriter) error, w *layerWriter) (*layerResult, error) {
	pr, pw := io.Pipe()
	go func() {
		zw, err := layer.Compress(pw, layer.Gzip)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		w.start(zw)
		err = fill(w)
		if err == nil {
			err = w.close()
		}
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	parent := s.topChain()
	sl, err := b.e.PutLayer(ctx, pr, "", "", parent, strings.ToLower(name)+" layer")
	pr.CloseWithError(io.ErrClosedPipe)
	if err != nil {
		return nil, err
	}
	chain := sl.DiffID
	if parent != "" {
		chain = image.ChainID([]digest.Digest{parent, sl.DiffID})
	}
	return &layerResult{layer: sl, chain: chain, ok: true}, nil
}
