package views

import (
	"strings"

	"github.com/charmbracelet/x/ansi"

	"berth/themes"
)

// Text is a scrolling text pane (logs, inspect JSON). Only the visible
// lines are rendered; with Follow the view sticks to the end. Lines marked
// as stderr are drawn apart, and matches of a search are highlighted.
type Text struct {
	Title  string
	lines  []string
	stderr []bool
	offset int
	Follow bool
	height int
	query  string
	hits   []int // lines with a match
	// Wrap folds long lines onto the next rows instead of cutting them.
	Wrap bool
	// Style, when set, colors a line (JSON syntax for inspect).
	Style func(th themes.Theme, line string) string
}

// SetText replaces the content with plain text.
func (t *Text) SetText(title, s string) {
	t.SetLines(title, strings.Split(strings.TrimRight(s, "\n"), "\n"), nil)
}

// SetLines replaces the content; stderr (may be nil) marks lines.
func (t *Text) SetLines(title string, lines []string, stderr []bool) {
	t.Title, t.lines, t.stderr = title, lines, stderr
	t.index()
	if t.Follow {
		t.offset = max(0, len(t.lines)-t.height)
	} else {
		t.offset = min(t.offset, max(0, len(t.lines)-1))
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

// Search highlights q (case-insensitive) and jumps to the first match at
// or after the top of the view; it reports the number of matching lines.
func (t *Text) Search(q string) int {
	t.query = strings.ToLower(q)
	t.index()
	t.Next(0)
	return len(t.hits)
}

func (t *Text) index() {
	t.hits = t.hits[:0]
	if t.query == "" {
		return
	}
	for i, l := range t.lines {
		if strings.Contains(strings.ToLower(l), t.query) {
			t.hits = append(t.hits, i)
		}
	}
}

// Next moves to the next (dir 1), previous (-1) or current-or-next (0)
// matching line.
func (t *Text) Next(dir int) {
	if len(t.hits) == 0 {
		return
	}
	t.Follow = false
	cur := t.offset
	pick := -1
	switch dir {
	case 0:
		for _, h := range t.hits {
			if h >= cur {
				pick = h
				break
			}
		}
	case 1:
		for _, h := range t.hits {
			if h > cur {
				pick = h
				break
			}
		}
	default:
		for i := len(t.hits) - 1; i >= 0; i-- {
			if t.hits[i] < cur {
				pick = t.hits[i]
				break
			}
		}
	}
	if pick < 0 { // wrap around
		pick = t.hits[0]
		if dir < 0 {
			pick = t.hits[len(t.hits)-1]
		}
	}
	t.offset = pick
}

// View renders w x h cells: a title line, then the text.
func (t *Text) View(th themes.Theme, w, h int) string {
	t.height = h - 1
	if t.Follow {
		t.offset = max(0, len(t.lines)-t.height)
	}
	title := t.Title
	if t.query != "" {
		title += "  /" + t.query + " (" + itoa(len(t.hits)) + " lines; n/N)"
	}
	out := []string{th.Header.Render(fit(title, w))}
	render := func(i int) []string {
		raw := strings.ReplaceAll(t.lines[i], "\t", "    ")
		var rows []string
		if t.Wrap && ansi.StringWidth(raw) > w && w > 0 {
			rows = strings.Split(ansi.Hardwrap(raw, w, true), "\n")
		} else {
			rows = []string{raw}
		}
		for j, r := range rows {
			r = fit(r, w)
			if t.query != "" {
				r = highlight(r, t.query, th)
			} else if t.Style != nil {
				r = t.Style(th, r)
			}
			if i < len(t.stderr) && t.stderr[i] {
				r = th.Warn.Render(r)
			}
			rows[j] = r
		}
		return rows
	}
	if t.Wrap && t.Follow {
		// Following wrapped lines: fill from the last line upwards.
		var rows []string
		for i := len(t.lines) - 1; i >= 0 && len(rows) < t.height; i-- {
			rows = append(render(i), rows...)
		}
		if len(rows) > t.height {
			rows = rows[len(rows)-t.height:]
		}
		return box(append(out, rows...), w, h)
	}
	for i := t.offset; i < len(t.lines) && len(out) <= t.height; i++ {
		out = append(out, render(i)...)
	}
	return box(out, w, h)
}

// highlight marks every case-insensitive occurrence of q in line.
func highlight(line, q string, th themes.Theme) string {
	lower := strings.ToLower(line)
	var b strings.Builder
	for {
		i := strings.Index(lower, q)
		if i < 0 || q == "" {
			b.WriteString(line)
			return b.String()
		}
		b.WriteString(line[:i])
		b.WriteString(th.Selected.Render(line[i : i+len(q)]))
		line, lower = line[i+len(q):], lower[i+len(q):]
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
