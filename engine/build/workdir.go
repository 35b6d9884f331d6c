package build

import (
	"context"
	"strings"
)

// workdirStep sets the working directory and, when it does not exist yet,
// creates it in a small layer (owned by the USER in effect, as BuildKit
// does), so a later RUN or the container can chdir there.
func (b *builder) workdirStep(ctx context.Context, s *state, ins Instruction) (bool, error) {
	words, err := b.words(s, ins)
	if err != nil {
		return false, err
	}
	wd := absPath(s.cfg.Config.WorkingDir, strings.Join(words, " "))
	s.cfg.Config.WorkingDir = wd
	createdBy := "WORKDIR " + wd
	dv := b.view(s)
	rel := strings.Trim(wd, "/")
	if _, fi, err := dv.stat(rel); rel == "" || err == nil && fi.IsDir() {
		return false, b.record(s, stepKey(s.key, "workdir", wd), createdBy, nil)
	}
	key := stepKey(s.key, "workdir", wd, s.cfg.Config.User, "mkdir")
	if l, ok := b.cachedLayer(ctx, s, key); ok {
		return true, b.record(s, key, createdBy, l)
	}
	resolved, err := dv.resolve(rel)
	if err != nil {
		return false, b.errAt(ins.Line, "WORKDIR %s: %v", wd, err)
	}
	var owner *ids
	if u := s.cfg.Config.User; u != "" {
		if owner, err = b.owner(dv, u); err != nil {
			return false, b.errAt(ins.Line, "WORKDIR %s: USER %v", wd, err)
		}
	}
	b.ran()
	w := &layerWriter{dest: dv, owner: owner, done: map[string]bool{}}
	l, err := b.writeLayer(ctx, s, "workdir", func(w *layerWriter) error {
		if err := w.parents(resolved); err != nil {
			return err
		}
		return w.dir(resolved, nil)
	}, w)
	if err != nil {
		return false, b.errAt(ins.Line, "WORKDIR %s: %v", wd, err)
	}
	return false, b.record(s, key, createdBy, l)
}
