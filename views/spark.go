package views

import (
	"fmt"
	"strings"

	"berth/themes"
)

var blocks = []rune(" ▁▂▃▄▅▆▇█")

// Sparkline draws the last w values as block characters scaled to top (the
// series' maximum when top is 0).
func Sparkline(values []float64, w int, top float64) string {
	if len(values) > w {
		values = values[len(values)-w:]
	}
	if top <= 0 {
		for _, v := range values {
			top = max(top, v)
		}
	}
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", max(0, w-len(values))))
	for _, v := range values {
		i := 0
		if top > 0 {
			i = int(v / top * float64(len(blocks)-1))
		}
		b.WriteRune(blocks[max(0, min(len(blocks)-1, i))])
	}
	return b.String()
}

// Graph draws the last w values as a bar chart rows high, each cell one of
// eight heights, so a tall pane shows the curve in more detail than one
// row of sparkline can. Rows come top first.
func Graph(values []float64, w, rows int, top float64) []string {
	if rows <= 1 {
		return []string{Sparkline(values, w, top)}
	}
	if len(values) > w {
		values = values[len(values)-w:]
	}
	if top <= 0 {
		// Scaled to the data with headroom: a steady series draws as a
		// level line below the top, not a solid wall.
		for _, v := range values {
			top = max(top, v)
		}
		top *= 1.25
	}
	steps := rows * (len(blocks) - 1)
	levels := make([]int, len(values))
	for i, v := range values {
		if top > 0 {
			levels[i] = max(0, min(steps, int(v/top*float64(steps))))
		}
	}
	out := make([]string, rows)
	pad := strings.Repeat(" ", max(0, w-len(values)))
	for r := 0; r < rows; r++ {
		base := (rows - 1 - r) * (len(blocks) - 1) // what the rows below this one hold
		var b strings.Builder
		b.WriteString(pad)
		for _, l := range levels {
			b.WriteRune(blocks[max(0, min(len(blocks)-1, l-base))])
		}
		out[r] = b.String()
	}
	return out
}

// Series is one graph of the stats pane.
type Series struct {
	Name   string
	Values []float64
	Top    float64 // 0: scale to the data
	Now    string  // current value, shown beside the graph
}

// Stats renders one labelled graph per series, as tall as the pane allows.
func Stats(th themes.Theme, title string, series []Series, w, h int) string {
	out := []string{th.Header.Render(fit(title, w))}
	label := 10
	rows := 1
	if len(series) > 0 {
		rows = max(1, (h-1)/len(series))
	}
	for _, s := range series {
		now := fmt.Sprintf("%-*s %-14s", label, s.Name, s.Now)
		indent := strings.Repeat(" ", len([]rune(now)))
		for i, g := range Graph(s.Values, max(4, w-len([]rune(now))-1), rows, s.Top) {
			prefix := indent
			if i == 0 {
				prefix = now
			}
			out = append(out, prefix+th.Running.Render(g))
		}
	}
	return box(out, w, h)
}
