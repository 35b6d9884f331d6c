package views

import (
	"strings"
	"testing"

	"berth/themes"
)

func TestTreeCollapseFilter(t *testing.T) {
	var tr Tree
	tr.Set([]TreeEntry{
		{Path: "etc/passwd", Size: 100, Mark: "M"},
		{Path: "etc/group", Size: 50},
		{Path: "usr/bin/tool", Size: 1000, Mark: "A"},
		{Path: "usr/lib", Dir: true},
		{Path: "tmp/gone", Mark: "D"},
	})
	view := tr.View(themes.Plain(), 40, 20, true)
	for _, want := range []string{"etc/", "passwd", "tool", "1kB", "150B"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if tr.Len() != 9 {
		t.Errorf("%d rows, want 9", tr.Len())
	}
	tr.Toggle() // the cursor is on etc/
	if tr.Len() != 7 || strings.Contains(tr.View(themes.Plain(), 40, 20, true), "passwd") {
		t.Errorf("collapsing etc/ left %d rows", tr.Len())
	}
	tr.SetFilter("tool")
	if v := tr.View(themes.Plain(), 40, 20, true); tr.Len() != 3 || !strings.Contains(v, "tool") || strings.Contains(v, "etc") {
		t.Errorf("filter: %d rows\n%s", tr.Len(), v)
	}
	tr.SetFilter("")
	tr.SetAllCollapsed(true)
	if tr.Len() != 3 {
		t.Errorf("all collapsed: %d rows, want 3", tr.Len())
	}
}

func TestGraphRows(t *testing.T) {
	g := Graph([]float64{0, 50, 100}, 5, 2, 100)
	if len(g) != 2 {
		t.Fatalf("%d rows", len(g))
	}
	// 100 fills both rows; 50 fills the bottom row only; 0 nothing.
	if g[0] != "    █" || g[1] != "   ██" {
		t.Errorf("graph:\n%q\n%q", g[0], g[1])
	}
	if one := Graph([]float64{1}, 3, 1, 1); len(one) != 1 || one[0] != "  █" {
		t.Errorf("one row: %q", one)
	}
}
