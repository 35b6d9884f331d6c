package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine"
	"berth/engine/image"
)

// Options are `berth build`'s flags.
type Options struct {
	ContextDir string
	Dockerfile string // path; empty means ContextDir/Dockerfile
	Tags       []string
	BuildArgs  map[string]string
	Target     string
	NoCache    bool
	Pull       bool   // pull every FROM image even when it is in the store
	Network    string // RUN's network unless a step says: "" or "default" (the host's), "host", "none"
	Labels     map[string]string
	Progress   func(Event) // may be nil; called from several goroutines, one at a time

	pullDisabled bool // the fuzz test's: a missing image fails instead of pulling
}

// Result is a finished build.
type Result struct {
	ID       digest.Digest // the image ID (config digest)
	Steps    int           // steps that ran
	Cached   int           // steps answered from the cache
	Warnings []string
}

// builder is one build in progress.
type builder struct {
	e      *engine.Engine
	o      Options
	df     *Dockerfile
	bctx   *buildContext
	meta   *argScope // ARGs before the first FROM, with the platform args
	stages []*stageRun

	mu       sync.Mutex
	used     map[string]bool // build args some ARG consumed
	images   map[string]*imageFuture
	progress func(Event)
	res      Result
}

// stageRun is a stage's result, awaited by the stages that build on it.
type stageRun struct {
	idx  int
	st   *Stage
	done chan struct{}
	res  *state
	err  error
}

type imageFuture struct {
	done chan struct{}
	im   *engine.Image
	err  error
}

// Build runs a Dockerfile against a context and names the resulting image.
// On failure nothing is named: the tags keep pointing where they pointed.
func Build(ctx context.Context, e *engine.Engine, o Options) (Result, error) {
	if o.ContextDir == "" {
		o.ContextDir = "."
	}
	if o.Dockerfile == "" {
		o.Dockerfile = filepath.Join(o.ContextDir, "Dockerfile")
	}
	var refs []string
	for _, t := range o.Tags {
		r, err := image.ParseRef(t)
		if err != nil {
			return Result{}, fmt.Errorf("build: tag %q: %w", t, err)
		}
		refs = append(refs, r.String())
	}
	f, err := os.Open(o.Dockerfile)
	if err != nil {
		return Result{}, fmt.Errorf("build: read Dockerfile: %w", err)
	}
	name := filepath.Base(o.Dockerfile)
	df, err := Parse(f, name)
	f.Close()
	if err != nil {
		return Result{}, err
	}
	bctx, err := openContext(o.ContextDir, o.Dockerfile)
	if err != nil {
		return Result{}, fmt.Errorf("build: %w", err)
	}
	b := &builder{e: e, o: o, df: df, bctx: bctx, used: map[string]bool{}, images: map[string]*imageFuture{}}
	var pmu sync.Mutex
	b.progress = func(ev Event) {
		if o.Progress != nil {
			pmu.Lock()
			o.Progress(ev)
			pmu.Unlock()
		}
	}
	for _, w := range df.Warnings {
		b.warn(w)
	}
	if b.meta, err = b.metaArgs(); err != nil {
		return Result{}, err
	}
	target := len(df.Stages) - 1
	if o.Target != "" {
		target = b.stageIndex(strings.ToLower(o.Target), len(df.Stages))
		if target < 0 {
			return Result{}, fmt.Errorf("build: target stage %q: no such stage in %s", o.Target, name)
		}
	}
	// Keep GC away from layers this build makes until the image names them.
	release, err := e.Store.Lease()
	if err != nil {
		return Result{}, err
	}
	defer release()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := range df.Stages {
		b.stages = append(b.stages, &stageRun{idx: i, st: &df.Stages[i], done: make(chan struct{})})
	}
	need, err := b.needed(target)
	if err != nil {
		return Result{}, err
	}
	// Every needed stage starts at once; each waits only for the stages it
	// reads, so independent stages run in parallel and unused ones never run.
	for _, i := range need {
		sr := b.stages[i]
		go func() {
			defer close(sr.done)
			sr.res, sr.err = b.runStage(ctx, sr)
			if sr.err != nil {
				cancel()
			}
		}()
	}
	final := b.stages[target]
	<-final.done
	if final.err != nil || ctx.Err() != nil {
		// Report the first cause, not a sibling's "context canceled".
		for _, i := range need {
			<-b.stages[i].done
		}
		for _, i := range need {
			if err := b.stages[i].err; err != nil && !errors.Is(err, context.Canceled) {
				return b.res, err
			}
		}
		if final.err != nil {
			return b.res, final.err
		}
		return b.res, ctx.Err()
	}
	for _, i := range need {
		<-b.stages[i].done
	}
	b.unusedArgs()
	id, err := b.commit(final.res, refs)
	b.res.ID = id
	return b.res, err
}

func (b *builder) warn(msg string) {
	b.mu.Lock()
	b.res.Warnings = append(b.res.Warnings, msg)
	b.mu.Unlock()
	b.progress(Event{Kind: Warning, Text: msg})
}

// stageIndex finds a stage by name (or number) among the first n stages.
func (b *builder) stageIndex(name string, n int) int {
	for i := 0; i < n; i++ {
		if b.df.Stages[i].Name != "" && b.df.Stages[i].Name == strings.ToLower(name) {
			return i
		}
	}
	if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < n {
		return i
	}
	return -1
}

// needed lists the stages target depends on, target included, in order.
func (b *builder) needed(target int) ([]int, error) {
	seen := map[int]bool{}
	var visit func(i int) error
	visit = func(i int) error {
		if seen[i] {
			return nil
		}
		seen[i] = true
		deps, err := b.deps(i)
		if err != nil {
			return err
		}
		for _, d := range deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(target); err != nil {
		return nil, err
	}
	var out []int
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out, nil
}

// deps are the earlier stages stage i reads: its FROM and every --from.
func (b *builder) deps(i int) ([]int, error) {
	st := &b.df.Stages[i]
	var out []int
	base, err := b.meta.expand(b.df, st.Base)
	if err != nil {
		return nil, b.errAt(st.Line, "FROM: %v", err)
	}
	if j := b.stageIndex(base, i); j >= 0 && !isNumber(base) {
		out = append(out, j)
	}
	for _, ins := range st.Instructions {
		for _, f := range ins.Flags {
			for _, from := range fromRefs(f) {
				if j := b.stageIndex(from, i); j >= 0 {
					out = append(out, j)
				}
			}
		}
	}
	return out, nil
}

// fromRefs finds the stage or image names a flag reads: COPY --from=X and
// RUN --mount=...,from=X.
func fromRefs(flag string) []string {
	k, v, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
	switch k {
	case "from":
		return []string{v}
	case "mount":
		for _, kv := range strings.Split(v, ",") {
			if mk, mv, _ := strings.Cut(kv, "="); mk == "from" {
				return []string{mv}
			}
		}
	}
	return nil
}

func isNumber(s string) bool { _, err := strconv.Atoi(s); return err == nil }

func (b *builder) errAt(line int, format string, a ...any) error {
	return &Error{File: b.df.Name, Line: line, Msg: fmt.Sprintf(format, a...)}
}

// image resolves a FROM or --from image once per build, pulling it when the
// store lacks it (or always, with --pull).
func (b *builder) image(ctx context.Context, name string) (*engine.Image, error) {
	b.mu.Lock()
	f, ok := b.images[name]
	if !ok {
		f = &imageFuture{done: make(chan struct{})}
		b.images[name] = f
	}
	b.mu.Unlock()
	if ok {
		<-f.done
		return f.im, f.err
	}
	defer close(f.done)
	if b.o.pullDisabled {
		f.im, f.err = b.e.ResolveImage(ctx, name)
		return f.im, f.err
	}
	if !b.o.Pull {
		f.im, f.err = b.e.ResolveImage(ctx, name)
		if f.err == nil || !errors.Is(f.err, engine.ErrImageNotFound) || image.LooksLikeID(name) {
			return f.im, f.err
		}
	}
	if _, err := b.e.Pull(ctx, name, engine.PullOptions{}); err != nil {
		f.err = fmt.Errorf("image %s is not in the store and pulling it failed: %w", name, err)
		return nil, f.err
	}
	f.im, f.err = b.e.ResolveImage(ctx, name)
	return f.im, f.err
}

// commit stores the final stage's image and names it.
func (b *builder) commit(s *state, refs []string) (digest.Digest, error) {
	cfg := s.cfg
	if len(b.o.Labels) > 0 {
		labels := map[string]string{}
		for k, v := range cfg.Config.Labels {
			labels[k] = v
		}
		for k, v := range b.o.Labels {
			labels[k] = v
		}
		cfg.Config.Labels = labels
	}
	created := s.created
	if created.IsZero() {
		created = time.Now().UTC()
	}
	cfg.Created = &created
	if cfg.OS == "" {
		cfg.OS, cfg.Architecture = "linux", goruntime.GOARCH
	}
	cfg.RootFS.Type = "layers"
	if cfg.RootFS.DiffIDs == nil {
		cfg.RootFS.DiffIDs = []digest.Digest{}
	}
	cb, err := jsonMarshal(cfg)
	if err != nil {
		return "", err
	}
	layers := s.layers
	if layers == nil {
		layers = []ocispec.Descriptor{}
	}
	id, err := b.e.StoreImageConfig(cb, layers, refs)
	if err != nil {
		return "", fmt.Errorf("build: store image: %w", err)
	}
	return id, nil
}
