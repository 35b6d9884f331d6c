package build

import (
	"context"
	"fmt"
	"path"
	goruntime "runtime"
	"strconv"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine"
	"berth/engine/image"
)

// state is a stage's image as it grows step by step.
type state struct {
	cfg     imageConfig
	layers  []ocispec.Descriptor
	chains  []digest.Digest // chainID of each layer, bottom first
	key     digest.Digest   // cache key of the last step
	args    *argScope
	cmdSet  bool      // this stage gave a CMD (a later ENTRYPOINT keeps it)
	created time.Time // of the last step: the image's created time
}

// view is the stage's merged tree, for lookups.
func (b *builder) view(s *state) view {
	v := view{}
	for i := len(s.chains) - 1; i >= 0; i-- {
		v.dirs = append(v.dirs, b.e.Store.LayerDir(s.chains[i]))
	}
	return v
}

func (s *state) topChain() digest.Digest {
	if len(s.chains) == 0 {
		return ""
	}
	return s.chains[len(s.chains)-1]
}

// exprEnv is what ${VAR} sees: the stage's args, overridden by its ENV.
func (s *state) exprEnv() []string {
	env := s.args.env()
	for _, kv := range s.cfg.Config.Env {
		k, v, _ := cut(kv)
		env = setEnv(env, k, v)
	}
	return env
}

// runEnv is what a RUN's process gets: the image's ENV plus the set args
// (ENV wins on a clash), and proxy build args.
func (b *builder) runEnv(s *state) []string {
	env := append([]string(nil), s.cfg.Config.Env...)
	for _, kv := range s.args.env() {
		k, v, _ := cut(kv)
		if !hasKey(env, k) {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range b.o.BuildArgs {
		if proxyArgs[k] && !hasKey(env, k) {
			env = append(env, k+"="+v)
		}
	}
	if !hasKey(env, "PATH") {
		env = append(env, defaultPath)
	}
	return env
}

func hasKey(env []string, k string) bool {
	for _, kv := range env {
		if n, _, _ := cut(kv); n == k {
			return true
		}
	}
	return false
}

func (b *builder) stageLabel(sr *stageRun) string {
	if sr.st.Name != "" {
		return sr.st.Name
	}
	return "stage-" + strconv.Itoa(sr.idx)
}

// runStage builds one stage: its base, the base's ONBUILD triggers, then
// its instructions in order.
func (b *builder) runStage(ctx context.Context, sr *stageRun) (*state, error) {
	st := sr.st
	label := b.stageLabel(sr)
	base, err := b.meta.expand(b.df, st.Base)
	if err != nil {
		return nil, b.errAt(st.Line, "FROM: %v", err)
	}
	if base == "" {
		return nil, b.errAt(st.Line, "FROM: the image name is empty after expansion of %q", st.Base)
	}
	steps := len(st.Instructions) + 1
	start := time.Now()
	b.progress(Event{Kind: StepStart, Stage: label, Step: 1, Steps: steps, Text: "FROM " + base})
	s, err := b.base(ctx, sr, base)
	if err != nil {
		return nil, b.errAt(st.Line, "FROM %s: %v", base, err)
	}
	// The base image's ONBUILD triggers run first, as steps of their own.
	var triggers []Instruction
	for _, t := range s.cfg.Config.OnBuild {
		df, err := Parse(strings.NewReader("FROM scratch\n"+t+"\n"), b.df.Name)
		if err != nil || len(df.Stages[0].Instructions) != 1 {
			return nil, b.errAt(st.Line, "ONBUILD trigger %q from %s: %v", t, base, err)
		}
		ins := df.Stages[0].Instructions[0]
		ins.Line = st.Line
		triggers = append(triggers, ins)
	}
	s.cfg.Config.OnBuild = nil
	steps += len(triggers)
	b.progress(Event{Kind: StepDone, Stage: label, Step: 1, Steps: steps, Elapsed: time.Since(start)})
	n := 1
	for i, ins := range append(triggers, st.Instructions...) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n++
		if err := b.step(ctx, s, ins, stepInfo{label: label, stage: sr.idx, n: n, steps: steps, trigger: i < len(triggers)}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// base makes a stage's starting state from scratch, an earlier stage or an
// image.
func (b *builder) base(ctx context.Context, sr *stageRun, name string) (*state, error) {
	s := &state{args: newArgScope()}
	if strings.EqualFold(name, "scratch") {
		s.cfg.OS, s.cfg.Architecture = "linux", goruntime.GOARCH
		s.cfg.Config.Env = []string{defaultPath}
		s.key = stepKey("", "scratch")
		return s, nil
	}
	if j := b.stageIndex(name, sr.idx); j >= 0 && !isNumber(name) {
		dep := b.stages[j]
		<-dep.done
		if dep.err != nil {
			return nil, fmt.Errorf("stage %s failed", name)
		}
		p := dep.res
		s.cfg = p.cfg.clone()
		s.layers = append(s.layers, p.layers...)
		s.chains = append(s.chains, p.chains...)
		s.key, s.created = p.key, p.created
		return s, nil
	}
	im, err := b.image(ctx, name)
	if err != nil {
		return nil, err
	}
	if s.cfg, err = parseConfig(im.RawCfg); err != nil {
		return nil, fmt.Errorf("image %s: config: %w", name, err)
	}
	s.layers = append(s.layers, im.Body.Layers...)
	s.chains = im.ChainIDs()
	s.key = stepKey("", "image", im.ID)
	return s, nil
}

type stepInfo struct {
	label    string
	stage    int // the stage's index: --from may name only earlier ones
	n, steps int
	trigger  bool
}

// step runs one instruction into s.
func (b *builder) step(ctx context.Context, s *state, ins Instruction, si stepInfo) error {
	text := strings.TrimSpace(ins.Original)
	if si.trigger {
		text = "ONBUILD " + text
	}
	ev := Event{Stage: si.label, Step: si.n, Steps: si.steps, Text: text}
	start := time.Now()
	ev.Kind = StepStart
	b.progress(ev)
	cached, err := b.dispatch(ctx, s, ins, si)
	if err != nil {
		return err
	}
	if cached {
		ev.Kind = StepCached
		b.progress(ev)
	}
	ev.Kind, ev.Elapsed = StepDone, time.Since(start)
	b.progress(ev)
	return nil
}

// dispatch applies one instruction; cached reports a layer step answered
// from the build cache.
func (b *builder) dispatch(ctx context.Context, s *state, ins Instruction, si stepInfo) (cached bool, err error) {
	switch ins.Cmd {
	case "run":
		return b.runStep(ctx, s, ins, si)
	case "copy", "add":
		return b.copyStep(ctx, s, ins, si)
	case "workdir":
		return b.workdirStep(ctx, s, ins)
	case "arg":
		return false, b.declareArgs(s.args, s.cfg.Config.Env, ins, b.meta)
	}
	createdBy, err := b.configStep(s, ins)
	if err != nil {
		return false, err
	}
	return false, b.record(s, stepKey(s.key, ins.Cmd, createdBy, ins.Flags), createdBy, nil)
}

// record finishes a step: the layer (nil for a config-only step) joins the
// image, history gets its line, and the cache learns the step. A step
// found in the cache keeps the time it first ran, so the image ID stays.
func (b *builder) record(s *state, key digest.Digest, createdBy string, l *layerResult) error {
	var ent engine.BuildCacheEntry
	found := false
	switch {
	case l != nil && l.fromCache:
		ent, found = l.entry, true
	case l == nil && !b.o.NoCache:
		ent, found = b.e.BuildCacheGet(key)
	}
	if !found {
		ent = engine.BuildCacheEntry{Key: key, Created: time.Now().UTC().Truncate(time.Second)}
		if l != nil && l.ok {
			desc := l.layer.Desc
			ent.Layer, ent.DiffID, ent.ChainID = &desc, l.layer.DiffID, l.chain
		}
		if err := b.e.BuildCachePut(ent); err != nil {
			return err
		}
	}
	created := ent.Created
	h := ocispec.History{Created: &created, CreatedBy: createdBy, EmptyLayer: ent.Layer == nil}
	if ent.Layer != nil {
		s.layers = append(s.layers, *ent.Layer)
		s.chains = append(s.chains, ent.ChainID)
		s.cfg.RootFS.DiffIDs = append(s.cfg.RootFS.DiffIDs, ent.DiffID)
	}
	s.cfg.History = append(s.cfg.History, h)
	s.key, s.created = key, created
	return nil
}

// layerResult is what a layer step made or found.
type layerResult struct {
	layer     engine.StoredLayer
	chain     digest.Digest
	ok        bool // a layer exists (false: the step changed nothing)
	fromCache bool
	entry     engine.BuildCacheEntry
}

// cachedLayer looks key up unless --no-cache. An entry names its layer by
// diffID and blob; the unpacked tree must sit under this stage's own chain,
// which differs from the entry's when another build of the same steps wrote
// a different layer below (a RUN that stamps the time): the blob is then
// unpacked under this chain, so the image never names a missing layer.
func (b *builder) cachedLayer(ctx context.Context, s *state, key digest.Digest) (*layerResult, bool) {
	if b.o.NoCache {
		return nil, false
	}
	ent, ok := b.e.BuildCacheGet(key)
	if !ok {
		return nil, false
	}
	if ent.Layer != nil {
		parent := s.topChain()
		chain := ent.DiffID
		if parent != "" {
			chain = image.ChainID([]digest.Digest{parent, ent.DiffID})
		}
		if _, have := b.e.Store.Layer(chain); !have {
			f, err := b.e.Store.OpenBlob(ent.Layer.Digest)
			if err != nil {
				return nil, false
			}
			_, err = b.e.PutLayer(ctx, f, ent.Layer.Digest, ent.DiffID, parent, "cached layer")
			f.Close()
			if err != nil {
				return nil, false
			}
		}
		ent.ChainID = chain
	}
	b.mu.Lock()
	b.res.Cached++
	b.mu.Unlock()
	return &layerResult{fromCache: true, entry: ent, ok: ent.Layer != nil}, true
}

func (b *builder) ran() {
	b.mu.Lock()
	b.res.Steps++
	b.mu.Unlock()
}

// absPath resolves a WORKDIR/COPY destination against the working dir.
func absPath(wd, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	if wd == "" {
		wd = "/"
	}
	return path.Join(wd, p)
}
