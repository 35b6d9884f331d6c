// Package views holds the TUI's panes: a list table, text viewers (logs,
// inspect), a file tree (layers), sparklines. A view renders what it is given into a width x
// height box; it never calls the engine (the tui package runs engine calls
// as commands), so rendering never blocks on I/O, and it renders only the
// rows that are visible, so 100,000 log lines cost what 50 do.
package views

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// fit cuts or pads s to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-ansi.StringWidth(s))
}

// box pads a rendered block to h lines of width w.
func box(lines []string, w, h int) string {
	for len(lines) < h {
		lines = append(lines, "")
	}
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = fit(l, w)
	}
	return strings.Join(lines, "\n")
}
