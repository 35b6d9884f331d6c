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

// Series is one graph of the stats pane.
type Series struct {
	Name   string
	Values []float64
	Top    float64 // 0: scale to the data
	Now    string  // current value, shown beside the graph
}

// Stats renders one labelled sparkline per series.
func Stats(th themes.Theme, title string, series []Series, w, h int) string {
	out := []string{th.Header.Render(fit(title, w))}
	label := 10
	for _, s := range series {
		now := fmt.Sprintf("%-*s %-14s", label, s.Name, s.Now)
		out = append(out, now+th.Running.Render(Sparkline(s.Values, max(4, w-len([]rune(now))-1), s.Top)))
	}
	return box(out, w, h)
}
