package views

import (
	"strings"

	"berth/themes"
)

// Column of a table: a fixed width, or 0 to share what is left.
type Column struct {
	Title string
	Width int
	Right bool
	// Optional columns are dropped, last first, when the flexible ones
	// would get fewer than 12 cells.
	Optional bool
}

// Table is a scrolling, filterable list with a cursor.
type Table struct {
	Columns []Column
	rows    [][]string
	keys    []string // stable identity of each row (an ID)
	visible []int    // indexes of rows passing the filter
	Cursor  int      // index into visible
	offset  int
	filter  string
}

// SetRows replaces the rows, keeping the cursor on the same key if it is
// still there.
func (t *Table) SetRows(keys []string, rows [][]string) {
	cur := t.SelectedKey()
	t.keys, t.rows = keys, rows
	t.apply()
	for i, idx := range t.visible {
		if t.keys[idx] == cur {
			t.Cursor = i
			return
		}
	}
	t.Move(0)
}

// SetFilter keeps only rows with a cell containing f (case-insensitive).
func (t *Table) SetFilter(f string) {
	t.filter = strings.ToLower(f)
	t.apply()
	t.Cursor = 0
	t.offset = 0
}

// Filter is the current filter.
func (t *Table) Filter() string { return t.filter }

func (t *Table) apply() {
	t.visible = t.visible[:0]
	for i, r := range t.rows {
		if t.filter == "" || strings.Contains(strings.ToLower(strings.Join(r, " ")), t.filter) {
			t.visible = append(t.visible, i)
		}
	}
}

// Len is the number of visible rows.
func (t *Table) Len() int { return len(t.visible) }

// Move moves the cursor by d rows, clamped.
func (t *Table) Move(d int) {
	t.Cursor = max(0, min(len(t.visible)-1, t.Cursor+d))
}

// SelectedKey is the key of the row under the cursor ("" if none).
func (t *Table) SelectedKey() string {
	if t.Cursor < 0 || t.Cursor >= len(t.visible) {
		return ""
	}
	return t.keys[t.visible[t.Cursor]]
}

// View renders the table in w x h cells.
func (t *Table) View(th themes.Theme, w, h int, focused bool, empty string) string {
	cols := t.shown(w)
	widths := make([]int, len(cols))
	fixed, flex := 0, 0
	for i, c := range cols {
		widths[i] = c.Width
		fixed += c.Width + 1
		if c.Width == 0 {
			flex++
		}
	}
	if flex > 0 {
		each := max(4, (w-fixed)/flex)
		for i := range widths {
			if widths[i] == 0 {
				widths[i] = each
			}
		}
	}
	row := func(cells []string) string {
		var b strings.Builder
		for i, c := range cols {
			cell := ""
			if c.index < len(cells) {
				cell = cells[c.index]
			}
			if c.Right {
				cell = strings.Repeat(" ", max(0, widths[i]-len([]rune(cell)))) + cell
			}
			b.WriteString(fit(cell, widths[i]))
			b.WriteString(" ")
		}
		return b.String()
	}
	titles := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		titles[i] = c.Title
	}
	lines := []string{th.Header.Render(fit(row(titles), w))}
	if len(t.visible) == 0 {
		lines = append(lines, th.Dim.Render(fit(empty, w)))
		return box(lines, w, h)
	}
	rows := h - 1
	if t.Cursor < t.offset {
		t.offset = t.Cursor
	}
	if t.Cursor >= t.offset+rows {
		t.offset = t.Cursor - rows + 1
	}
	for i := t.offset; i < len(t.visible) && i < t.offset+rows; i++ {
		line := fit(row(t.rows[t.visible[i]]), w)
		if i == t.Cursor && focused {
			line = th.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	return box(lines, w, h)
}

type shownColumn struct {
	Column
	index int
}

// shown picks the columns that fit w.
func (t *Table) shown(w int) []shownColumn {
	var cols []shownColumn
	for i, c := range t.Columns {
		cols = append(cols, shownColumn{c, i})
	}
	for {
		fixed, flex := 0, 0
		for _, c := range cols {
			fixed += c.Width + 1
			if c.Width == 0 {
				flex++
			}
		}
		if flex == 0 || (w-fixed)/flex >= 12 {
			return cols
		}
		drop := -1
		for i := len(cols) - 1; i >= 0; i-- {
			if cols[i].Optional {
				drop = i
				break
			}
		}
		if drop < 0 {
			return cols
		}
		cols = append(cols[:drop], cols[drop+1:]...)
	}
}
