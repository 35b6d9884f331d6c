// Package views holds one pane per file. A view renders engine results it is
// given; it never calls the engine itself (the tui package runs engine calls
// as commands), so rendering can never block on I/O.
package views

import (
	"fmt"
	"strings"
	"time"

	"berth/engine"
	"berth/engine/image"
	"berth/themes"
)

// Images is the image list pane.
type Images struct {
	Items  []engine.ImageSummary
	Cursor int
}

// Move moves the cursor by d rows, clamped.
func (v *Images) Move(d int) {
	v.Cursor = max(0, min(len(v.Items)-1, v.Cursor+d))
}

// View renders the list in width x height cells; only visible rows are built.
func (v *Images) View(th themes.Theme, width, height int, now time.Time) string {
	var b strings.Builder
	row := func(repo, tag, id, created, size string) string {
		s := fmt.Sprintf("%-30.30s %-12.12s %-12s %-16.16s %9s", repo, tag, id, created, size)
		if len(s) > width {
			s = s[:width]
		}
		return s
	}
	b.WriteString(th.Header.Render(row("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE")))
	if len(v.Items) == 0 {
		b.WriteString("\n" + th.Dim.Render("no images: `berth load -i DIR` or `berth import FILE NAME`"))
		return b.String()
	}
	rows := height - 1
	start := 0
	if v.Cursor >= rows {
		start = v.Cursor - rows + 1
	}
	for i := start; i < len(v.Items) && i < start+rows; i++ {
		im := v.Items[i]
		repo, tag := "<none>", "<none>"
		if len(im.RepoTags) > 0 {
			repo, tag = image.SplitFamiliar(im.RepoTags[0])
		}
		line := row(repo, tag, engine.ShortID(im.ID), ago(im.Created, now), size(im.Size))
		if i == v.Cursor {
			line = th.Selected.Render(line)
		}
		b.WriteString("\n" + line)
	}
	return b.String()
}

func ago(t, now time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

func size(n int64) string {
	f, units, i := float64(n), []string{"B", "kB", "MB", "GB", "TB"}, 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}
