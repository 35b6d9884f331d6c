package engine

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// FileChange is one path a layer adds, modifies or removes.
type FileChange struct {
	Path string
	Kind string // A added, M modified (an earlier layer had it), D removed
	Size int64
}

// LayerAnalysis is one layer of an image analysis.
type LayerAnalysis struct {
	CreatedBy string
	Size      int64 // bytes of regular files the layer holds
	Changes   []FileChange
}

// Analysis is `berth image analyze`: dive's figures, computed by the engine.
type Analysis struct {
	Layers []LayerAnalysis
	// TotalBytes is every file version in every layer; UniqueBytes what
	// the final filesystem holds.
	TotalBytes, UniqueBytes int64
	// WastedBytes counts each overwritten or deleted version of a path
	// once: bytes the image ships that no container can see.
	WastedBytes int64
	Efficiency  float64 // UniqueBytes / TotalBytes; 1 for a single-layer image
	Wasted      []WastedPath
}

// WastedPath is a path whose earlier versions are dead weight.
type WastedPath struct {
	Path   string
	Count  int   // versions no longer visible
	Bytes  int64 // their total size
	Layers []int // layers that hold them
}

type version struct {
	layer int
	size  int64
}

// AnalyzeImage walks the image's unpacked layers bottom-up.
func (e *Engine) AnalyzeImage(ctx context.Context, name string) (*Analysis, error) {
	im, err := e.ResolveImage(ctx, name)
	if err != nil {
		return nil, err
	}
	hist, _ := e.History(ctx, name)
	var createdBy []string
	for i := len(hist) - 1; i >= 0; i-- {
		if !hist[i].Empty {
			createdBy = append(createdBy, hist[i].CreatedBy)
		}
	}
	a := &Analysis{}
	live := map[string]version{}     // path -> the visible version
	dead := map[string]*WastedPath{} // path -> versions hidden later
	kill := func(p string) {
		v, ok := live[p]
		if !ok {
			return
		}
		delete(live, p)
		w := dead[p]
		if w == nil {
			w = &WastedPath{Path: p}
			dead[p] = w
		}
		w.Count++
		w.Bytes += v.size
		w.Layers = append(w.Layers, v.layer)
	}
	killTree := func(dir string) {
		for p := range live {
			if strings.HasPrefix(p, dir+"/") {
				kill(p)
			}
		}
	}
	for i, chain := range im.ChainIDs() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		root := e.Store.LayerDir(chain)
		if _, err := os.Stat(root); err != nil {
			return nil, fmt.Errorf("analyze: layer %d (%s) is not unpacked", i, chain)
		}
		la := LayerAnalysis{}
		if i < len(createdBy) {
			la.CreatedBy = createdBy[i]
		}
		seen := map[[2]uint64]bool{}
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return err
			}
			rel := "/" + filepath.ToSlash(strings.TrimPrefix(p, root+"/"))
			fi, err := d.Info()
			if err != nil {
				return nil
			}
			st := fi.Sys().(*syscall.Stat_t)
			if d.Name() == ".wh..wh..opq" { // kept whiteouts (no root)
				killTree(filepath.Dir(rel))
				return nil
			}
			if fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0 || strings.HasPrefix(d.Name(), ".wh.") {
				target := rel
				if strings.HasPrefix(d.Name(), ".wh.") {
					target = filepath.Join(filepath.Dir(rel), strings.TrimPrefix(d.Name(), ".wh."))
				}
				var size int64
				if v, ok := live[target]; ok {
					size = v.size
				}
				kill(target)
				killTree(target)
				la.Changes = append(la.Changes, FileChange{Path: target, Kind: "D", Size: size})
				return nil
			}
			if d.IsDir() {
				if opaque(p) {
					killTree(rel)
				}
				return nil
			}
			size := int64(0)
			if fi.Mode().IsRegular() {
				key := [2]uint64{st.Dev, st.Ino}
				if !seen[key] { // a hardlinked file's bytes count once
					size = fi.Size()
					seen[key] = true
				}
			}
			kind := "A"
			if _, ok := live[rel]; ok {
				kind = "M"
				kill(rel)
			}
			live[rel] = version{layer: i, size: size}
			la.Size += size
			la.Changes = append(la.Changes, FileChange{Path: rel, Kind: kind, Size: size})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("analyze layer %d: %w", i, err)
		}
		a.TotalBytes += la.Size
		a.Layers = append(a.Layers, la)
	}
	for _, v := range live {
		a.UniqueBytes += v.size
	}
	for _, w := range dead {
		a.WastedBytes += w.Bytes
		if w.Bytes > 0 {
			a.Wasted = append(a.Wasted, *w)
		}
	}
	sort.Slice(a.Wasted, func(i, j int) bool {
		return a.Wasted[i].Bytes > a.Wasted[j].Bytes || a.Wasted[i].Bytes == a.Wasted[j].Bytes && a.Wasted[i].Path < a.Wasted[j].Path
	})
	a.Efficiency = 1
	if a.TotalBytes > 0 {
		a.Efficiency = float64(a.UniqueBytes) / float64(a.TotalBytes)
	}
	return a, nil
}

func opaque(p string) bool {
	b := make([]byte, 1)
	n, err := unix.Lgetxattr(p, "trusted.overlay.opaque", b)
	return err == nil && n == 1 && b[0] == 'y'
}
