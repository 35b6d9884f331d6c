package views

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"berth/internal/units"
	"berth/themes"
)

// TreeEntry is one path of a file tree: dive's view of a layer or of a
// whole image. Directories above a path need no entry of their own.
type TreeEntry struct {
	Path string // slash-separated, no leading slash
	Size int64
	Mark string // "A" added, "M" modified, "D" removed, "" unchanged
	Dir  bool
}

type treeNode struct {
	name     string
	path     string
	size     int64 // a directory's is the sum of what is below it
	mark     string
	dir      bool
	children []*treeNode
}

// Tree is a collapsible, filterable file tree with a cursor. Only the rows
// on screen are rendered.
type Tree struct {
	root      *treeNode
	collapsed map[string]bool
	filter    string
	rows      []treeRow
	Cursor    int
	offset    int
}

type treeRow struct {
	n     *treeNode
	depth int
}

// Set replaces the tree, keeping collapsed directories collapsed.
func (t *Tree) Set(entries []TreeEntry) {
	if t.collapsed == nil {
		t.collapsed = map[string]bool{}
	}
	t.root = &treeNode{dir: true}
	index := map[string]*treeNode{"": t.root}
	var node func(p string) *treeNode
	node = func(p string) *treeNode {
		if n, ok := index[p]; ok {
			return n
		}
		parent := node(strings.TrimPrefix(path.Dir("/"+p), "/"))
		n := &treeNode{name: path.Base(p), path: p, dir: true}
		parent.children = append(parent.children, n)
		index[p] = n
		return n
	}
	for _, e := range entries {
		p := strings.Trim(e.Path, "/")
		if p == "" {
			continue
		}
		n := node(p)
		n.mark, n.dir = e.Mark, e.Dir
		if !e.Dir {
			n.size = e.Size
		}
	}
	var sum func(n *treeNode) int64
	sum = func(n *treeNode) int64 {
		sort.Slice(n.children, func(i, j int) bool { return n.children[i].name < n.children[j].name })
		if len(n.children) == 0 {
			return n.size
		}
		var s int64
		for _, c := range n.children {
			s += sum(c)
		}
		n.size = s
		return s
	}
	sum(t.root)
	t.flatten()
}

// SetFilter keeps paths containing f, and the directories leading to them.
func (t *Tree) SetFilter(f string) {
	t.filter = strings.ToLower(f)
	t.Cursor, t.offset = 0, 0
	t.flatten()
}

// Filter is the current path filter.
func (t *Tree) Filter() string { return t.filter }

// Len is the number of rows shown.
func (t *Tree) Len() int { return len(t.rows) }

// Move moves the cursor by d rows.
func (t *Tree) Move(d int) {
	t.Cursor = min(max(0, t.Cursor+d), max(0, len(t.rows)-1))
}

// Toggle collapses or expands the directory under the cursor.
func (t *Tree) Toggle() {
	if t.Cursor >= len(t.rows) {
		return
	}
	n := t.rows[t.Cursor].n
	if !n.dir || len(n.children) == 0 {
		return
	}
	t.collapsed[n.path] = !t.collapsed[n.path]
	t.flatten()
}

// SetAllCollapsed collapses (or expands) every directory.
func (t *Tree) SetAllCollapsed(c bool) {
	var walk func(n *treeNode)
	walk = func(n *treeNode) {
		for _, ch := range n.children {
			if len(ch.children) > 0 {
				t.collapsed[ch.path] = c
				walk(ch)
			}
		}
	}
	if t.root != nil {
		walk(t.root)
	}
	t.Cursor = 0
	t.flatten()
}

func (t *Tree) matches(n *treeNode) bool {
	if t.filter == "" || strings.Contains(strings.ToLower(n.path), t.filter) {
		return true
	}
	for _, c := range n.children {
		if t.matches(c) {
			return true
		}
	}
	return false
}

func (t *Tree) flatten() {
	t.rows = t.rows[:0]
	if t.root == nil {
		return
	}
	var walk func(n *treeNode, depth int)
	walk = func(n *treeNode, depth int) {
		for _, c := range n.children {
			if !t.matches(c) {
				continue
			}
			t.rows = append(t.rows, treeRow{c, depth})
			// A filter opens every directory on the way to a match.
			if len(c.children) > 0 && (!t.collapsed[c.path] || t.filter != "") {
				walk(c, depth+1)
			}
		}
	}
	walk(t.root, 0)
	t.Move(0)
}

// View draws the rows around the cursor into w x h.
func (t *Tree) View(th themes.Theme, w, h int, focused bool) string {
	if h <= 0 {
		return ""
	}
	if t.Cursor < t.offset {
		t.offset = t.Cursor
	}
	if t.Cursor >= t.offset+h {
		t.offset = t.Cursor - h + 1
	}
	var out []string
	for i := t.offset; i < len(t.rows) && len(out) < h; i++ {
		r := t.rows[i]
		// Plain + and - read in every font, screenshots' included.
		icon := "  "
		if len(r.n.children) > 0 {
			icon = "- "
			if t.collapsed[r.n.path] && t.filter == "" {
				icon = "+ "
			}
		}
		name := r.n.name
		if r.n.dir {
			name += "/"
		}
		mark := " "
		if r.n.mark != "" {
			mark = r.n.mark
		}
		line := fmt.Sprintf("%s %8s %s%s%s", mark, units.HumanSize(r.n.size), strings.Repeat("  ", r.depth), icon, name)
		line = fit(line, w)
		switch {
		case i == t.Cursor && focused:
			line = th.Selected.Render(line)
		case r.n.mark == "D":
			line = th.Error.Render(line)
		case r.n.mark == "A":
			line = th.Running.Render(line)
		case r.n.mark == "M":
			line = th.Warn.Render(line)
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		out = append(out, th.Dim.Render("no files match"))
	}
	return box(out, w, h)
}
