package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"

	"berth/themes"
)

// helpView lays every binding out column by column, in the keymap's order,
// each column as wide as its own longest entry, so the whole map fits an
// 80x24 terminal; only when even that overflows are entries cut.
func helpView(th themes.Theme, groups [][]key.Binding, w, h int) string {
	var all []key.Binding
	for _, g := range groups {
		for _, b := range g {
			if b.Enabled() {
				all = append(all, b)
			}
		}
	}
	if len(all) == 0 || w <= 0 || h <= 1 {
		return ""
	}
	rows := h - 1
	cols := (len(all) + rows - 1) / rows
	rows = (len(all) + cols - 1) / cols // balance the columns
	cells := make([][]string, cols)
	widths := make([]int, cols)
	total := 0
	for c := 0; c < cols; c++ {
		part := all[c*rows : min(len(all), (c+1)*rows)]
		keyW := 0
		for _, b := range part {
			keyW = max(keyW, ansi.StringWidth(b.Help().Key))
		}
		for _, b := range part {
			cell := fmt.Sprintf("%-*s %s", keyW, b.Help().Key, b.Help().Desc)
			cells[c] = append(cells[c], cell)
			widths[c] = max(widths[c], ansi.StringWidth(cell)+2)
		}
		total += widths[c]
	}
	for total > w {
		// Narrow the widest column a cell at a time: short columns keep
		// their entries whole.
		wi := 0
		for c := range widths {
			if widths[c] > widths[wi] {
				wi = c
			}
		}
		if widths[wi] <= 8 {
			break
		}
		widths[wi]--
		total--
	}
	lines := []string{th.Header.Render("keys (esc or ? closes)")}
	for r := 0; r < rows; r++ {
		var b strings.Builder
		for c := 0; c < cols; c++ {
			if r >= len(cells[c]) {
				break
			}
			cell := cells[c][r]
			if ansi.StringWidth(cell) > widths[c]-1 {
				cell = ansi.Truncate(cell, widths[c]-1, "…")
			}
			b.WriteString(cell + strings.Repeat(" ", widths[c]-ansi.StringWidth(cell)))
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	return strings.Join(lines, "\n")
}
