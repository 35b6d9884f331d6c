package views

import (
	"strings"

	"berth/themes"
)

// Text is a scrolling text pane (logs, inspect JSON). Only the visible
// lines are rendered; with Follow the view sticks to the end.
type Text struct {
	Title  string
	lines  []string
	offset int
	Follow bool
	height int
}

// SetText replaces the content.
func (t *Text) SetText(title, s string) {
	t.Title = title
	t.lines = strings.Split(strings.TrimRight(s, "\n"), "\n")
	if t.Follow {
		t.offset = max(0, len(t.lines)-t.height)
	} else {
		t.offset = min(t.offset, max(0, len(t.lines)-1))
	}
}

// Append adds lines (log follow).
func (t *Text) Append(lines ...string) {
	t.lines = append(t.lines, lines...)
	if t.Follow {
		t.offset = max(0, len(t.lines)-t.height)
	}
}

// Scroll moves by d lines; reaching the end turns Follow back on.
func (t *Text) Scroll(d int) {
	t.offset = max(0, min(max(0, len(t.lines)-t.height), t.offset+d))
	t.Follow = t.offset >= len(t.lines)-t.height
}

// Top and Bottom jump.
func (t *Text) Top()    { t.offset, t.Follow = 0, false }
func (t *Text) Bottom() { t.offset, t.Follow = max(0, len(t.lines)-t.height), true }

// Lines is the number of lines held.
func (t *Text) Lines() int { return len(t.lines) }

// View renders w x h cells: a title line, then the text.
func (t *Text) View(th themes.Theme, w, h int) string {
	t.height = h - 1
	if t.Follow {
		t.offset = max(0, len(t.lines)-t.height)
	}
	out := []string{th.Header.Render(fit(t.Title, w))}
	for i := t.offset; i < len(t.lines) && i < t.offset+t.height; i++ {
		out = append(out, strings.ReplaceAll(t.lines[i], "\t", "    "))
	}
	return box(out, w, h)
}
