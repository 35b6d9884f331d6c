package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"berth/engine"
	"berth/keymap"
	"berth/themes"
	"berth/views"
)

// layersView is dive's screen in a pane: efficiency and wasted space, the
// layer list, and the chosen layer's changes as a collapsible tree, or the
// whole image up to that layer with the layer's changes marked.
type layersView struct {
	key       string
	a         *engine.Analysis
	layer     int
	aggregate bool
	collapsed bool // z folded every directory
	tree      views.Tree
}

func newLayersView(key string, a *engine.Analysis) *layersView {
	lv := &layersView{key: key, a: a, layer: len(a.Layers) - 1}
	lv.fill()
	return lv
}

// fill builds the tree for the chosen layer and mode.
func (lv *layersView) fill() {
	if len(lv.a.Layers) == 0 {
		lv.tree.Set(nil)
		return
	}
	own := lv.a.Layers[lv.layer].Changes
	if !lv.aggregate {
		entries := make([]views.TreeEntry, 0, len(own))
		for _, c := range own {
			entries = append(entries, views.TreeEntry{Path: c.Path, Size: c.Size, Mark: c.Kind})
		}
		lv.tree.Set(entries)
		return
	}
	// The image as a container would see it once this layer is applied.
	files := map[string]int64{}
	for i := 0; i <= lv.layer; i++ {
		for _, c := range lv.a.Layers[i].Changes {
			p := strings.Trim(c.Path, "/")
			if c.Kind == "D" {
				delete(files, p)
				for f := range files {
					if strings.HasPrefix(f, p+"/") {
						delete(files, f)
					}
				}
				continue
			}
			files[p] = c.Size
		}
	}
	marks := map[string]string{}
	for _, c := range own {
		marks[strings.Trim(c.Path, "/")] = c.Kind
	}
	entries := make([]views.TreeEntry, 0, len(files))
	for p, size := range files {
		entries = append(entries, views.TreeEntry{Path: p, Size: size, Mark: marks[p]})
	}
	for p, k := range marks {
		if k == "D" {
			entries = append(entries, views.TreeEntry{Path: p, Mark: "D"})
		}
	}
	lv.tree.Set(entries)
}

// handle takes the pane's own keys while it has focus.
func (lv *layersView) handle(k keymap.KeyMap, msg tea.KeyMsg, pageH int) bool {
	switch {
	case key.Matches(msg, k.Up):
		lv.tree.Move(-1)
	case key.Matches(msg, k.Down):
		lv.tree.Move(1)
	case key.Matches(msg, k.PageUp):
		lv.tree.Move(-pageH)
	case key.Matches(msg, k.PageDown):
		lv.tree.Move(pageH)
	case key.Matches(msg, k.Top):
		lv.tree.Move(-lv.tree.Len())
	case key.Matches(msg, k.Bottom):
		lv.tree.Move(lv.tree.Len())
	case key.Matches(msg, k.Toggle), key.Matches(msg, k.Open):
		lv.tree.Toggle()
	case key.Matches(msg, k.CollapseAll):
		lv.collapsed = !lv.collapsed
		lv.tree.SetAllCollapsed(lv.collapsed)
	case key.Matches(msg, k.PrevLayer):
		if lv.layer > 0 {
			lv.layer--
			lv.fill()
		}
	case key.Matches(msg, k.NextLayer):
		if lv.layer < len(lv.a.Layers)-1 {
			lv.layer++
			lv.fill()
		}
	case key.Matches(msg, k.Aggregate):
		lv.aggregate = !lv.aggregate
		lv.fill()
	default:
		return false
	}
	return true
}

func (lv *layersView) view(th themes.Theme, w, h int, focused bool) string {
	a := lv.a
	var head []string
	head = append(head, th.Header.Render(fmt.Sprintf("Layers  efficiency %.1f%%  wasted %s of %s",
		a.Efficiency*100, humanSize(a.WastedBytes), humanSize(a.TotalBytes))))
	// A window of the layer list around the chosen one.
	rows := min(len(a.Layers), max(3, h/3))
	start := min(max(0, lv.layer-rows/2), max(0, len(a.Layers)-rows))
	for i := start; i < start+rows && i < len(a.Layers); i++ {
		l := a.Layers[i]
		line := fmt.Sprintf("%s%2d %8s  %s", map[bool]string{true: ">", false: " "}[i == lv.layer], i,
			humanSize(l.Size), strings.ReplaceAll(l.CreatedBy, "\n", " "))
		if i == lv.layer {
			line = th.Mark.Render(line)
		}
		head = append(head, line)
	}
	mode := "layer " + fmt.Sprint(lv.layer) + " changes"
	if lv.aggregate {
		mode = "image at layer " + fmt.Sprint(lv.layer)
	}
	if f := lv.tree.Filter(); f != "" {
		mode += "  filter: " + f
	}
	hint := "  [ ] layer · a whole image · space fold · z fold all · / filter"
	if !focused {
		hint = "  enter: explore the tree"
	}
	head = append(head, th.Dim.Render(mode+hint))
	treeH := max(1, h-len(head))
	return strings.Join(append(head, lv.tree.View(th, w, treeH, focused)), "\n")
}
