package tui

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"berth/engine"
	"berth/engine/events"
	"berth/themes"
	"berth/views"
)

// pullProgress shows a pull's layers as progress bars, fed by the engine's
// events (the same ones the CLI draws).
type pullProgress struct {
	ref    string
	sub    *events.Subscription
	layers map[string]events.Event
	order  []string
	done   bool
}

type progressMsg struct {
	sub *events.Subscription
	ev  events.Event
}

type pullDoneMsg struct {
	ref string
	err error
}

func (p *pullProgress) next() tea.Cmd {
	sub := p.sub
	return func() tea.Msg {
		ev, ok := <-sub.C
		if !ok {
			return nil
		}
		return progressMsg{sub: sub, ev: ev}
	}
}

func (p *pullProgress) add(ev events.Event) {
	if ev.Type != events.Layer {
		return
	}
	if _, ok := p.layers[ev.ID]; !ok {
		p.order = append(p.order, ev.ID)
	}
	p.layers[ev.ID] = ev
}

func (p *pullProgress) view(th themes.Theme, w, h int) string {
	var b strings.Builder
	ids := append([]string(nil), p.order...)
	for _, id := range ids {
		ev := p.layers[id]
		line := fmt.Sprintf("%s %-14s", id, ev.Status)
		if ev.Total > 0 {
			width := max(10, w-len(line)-22)
			done := int(ev.Current * int64(width) / ev.Total)
			line += " [" + strings.Repeat("=", min(done, width)) + strings.Repeat(" ", max(0, width-done)) + "] " +
				humanSize(ev.Current) + "/" + humanSize(ev.Total)
		}
		b.WriteString(line + "\n")
	}
	t := views.Text{}
	t.SetText("Pulling "+p.ref, b.String())
	return t.View(th, w, h)
}

// startPull runs a pull in the background, its progress in the pane.
func (m Model) startPull(ref string) (tea.Model, tea.Cmd) {
	sub := m.eng.Events.Subscribe(4096)
	m.progress = &pullProgress{ref: ref, sub: sub, layers: map[string]events.Event{}}
	e := m.eng
	run := func() tea.Msg {
		_, err := e.Pull(context.Background(), ref, engine.PullOptions{})
		return pullDoneMsg{ref: ref, err: err}
	}
	return m, tea.Batch(run, m.progress.next())
}
