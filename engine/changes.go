package engine

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
)

// Change is one line of `berth diff`.
type Change struct {
	Kind string // A added, C changed, D deleted
	Path string
}

// Diff lists what the container changed relative to its image, read from
// its overlay upper directory: 0/0 character devices are deletions, paths
// the image also has are changes, the rest additions.
func (e *Engine) Diff(ctx context.Context, ref string) ([]Change, error) {
	ci, err := e.Container(ref)
	if err != nil {
		return nil, err
	}
	upper := filepath.Join(e.containerDir(ci.Record.ID), "upper")
	var lowers []string
	for i := len(ci.Record.Layers) - 1; i >= 0; i-- {
		lowers = append(lowers, e.Store.LayerDir(ci.Record.Layers[i]))
	}
	inImage := func(rel string) bool {
		for _, l := range lowers {
			fi, err := os.Lstat(filepath.Join(l, rel))
			if err == nil {
				st := fi.Sys().(*syscall.Stat_t)
				return !(fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0)
			}
		}
		return false
	}
	var out []Change
	err = filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if p == upper {
			return nil
		}
		rel, _ := filepath.Rel(upper, p)
		fi, err := d.Info()
		if err != nil || mountpointStub(rel, fi) {
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		switch {
		case fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0:
			out = append(out, Change{"D", "/" + rel})
		case inImage(rel):
			out = append(out, Change{"C", "/" + rel})
		default:
			out = append(out, Change{"A", "/" + rel})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}

// generatedFiles are bind-mounted over in every container; the empty files
// overlay creates as their mount points are berth's, not the user's change.
var generatedFiles = map[string]bool{"etc/hostname": true, "etc/hosts": true, "etc/resolv.conf": true}

func mountpointStub(rel string, fi fs.FileInfo) bool {
	return generatedFiles[filepath.ToSlash(rel)] && fi.Mode().IsRegular() && fi.Size() == 0
}
