package tui

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"berth/engine"
)

// prompt is what the input line at the bottom is for at the moment: each
// use says what typing does (filters follow it live), what enter does with
// the text, and what esc undoes.
type prompt struct {
	live  func(m *Model, v string)
	enter func(m Model, v string) (tea.Model, tea.Cmd)
	esc   func(m *Model) tea.Cmd
}

// ask opens the input line with a label and a starting value.
func (m Model) ask(label, value string, p prompt) (tea.Model, tea.Cmd) {
	m.prompt = &p
	m.filter.Prompt = label
	m.filter.SetValue(value)
	return m, m.filter.Focus()
}

// promptKey feeds the open prompt a key.
func (m Model) promptKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	p := m.prompt
	switch msg.Type {
	case tea.KeyEsc:
		m.prompt = nil
		m.filter.Blur()
		if p.esc != nil {
			return m, p.esc(&m)
		}
		return m, nil
	case tea.KeyEnter:
		m.prompt = nil
		m.filter.Blur()
		return p.enter(m, m.filter.Value())
	}
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	if p.live != nil {
		p.live(&m, m.filter.Value())
	}
	return m, cmd
}

// The prompts berth asks.

func (m Model) askTableFilter() (tea.Model, tea.Cmd) {
	return m.ask("/", m.tables[m.side].Filter(), prompt{
		live: func(m *Model, v string) { m.tables[m.side].SetFilter(v) },
		enter: func(m Model, v string) (tea.Model, tea.Cmd) {
			cmd := m.refreshDetail()
			return m, cmd
		},
		esc: func(m *Model) tea.Cmd {
			m.tables[m.side].SetFilter("")
			return m.refreshDetail()
		},
	})
}

func (m Model) askLogSearch() (tea.Model, tea.Cmd) {
	return m.ask("search logs: ", "", prompt{
		enter: func(m Model, v string) (tea.Model, tea.Cmd) {
			n := m.text.Search(v)
			if v != "" {
				m.status = fmt.Sprintf("%d matching lines", n)
			}
			return m, nil
		},
		esc: func(m *Model) tea.Cmd { m.text.Search(""); return nil },
	})
}

func (m Model) askPathFilter() (tea.Model, tea.Cmd) {
	tree := func(m *Model, v string) {
		if m.layers != nil {
			m.layers.tree.SetFilter(v)
		}
	}
	return m.ask("paths: ", m.layers.tree.Filter(), prompt{
		live:  tree,
		enter: func(m Model, v string) (tea.Model, tea.Cmd) { tree(&m, v); return m, nil },
		esc:   func(m *Model) tea.Cmd { tree(m, ""); return nil },
	})
}

func (m Model) askPull() (tea.Model, tea.Cmd) {
	return m.ask("pull: ", "", prompt{enter: func(m Model, v string) (tea.Model, tea.Cmd) {
		if v = strings.TrimSpace(v); v == "" {
			return m, nil
		}
		return m.startPull(v)
	}})
}

func (m Model) askBuild() (tea.Model, tea.Cmd) {
	return m.ask("build (PATH [TAG]): ", "", prompt{enter: func(m Model, v string) (tea.Model, tea.Cmd) {
		if v = strings.TrimSpace(v); v == "" {
			return m, nil
		}
		return m.startBuild(v)
	}})
}

func (m Model) askTag(id string) (tea.Model, tea.Cmd) {
	e := m.eng
	return m.ask("tag "+engine.ShortID(digestOf(id))+" as: ", "", prompt{enter: func(m Model, v string) (tea.Model, tea.Cmd) {
		if v = strings.TrimSpace(v); v == "" {
			return m, nil
		}
		return m, action("berth tag "+engine.ShortID(digestOf(id))+" "+v, func(ctx context.Context) error {
			return e.Tag(ctx, id, v)
		})
	}})
}

func (m Model) askCommit(id, name string) (tea.Model, tea.Cmd) {
	e := m.eng
	return m.ask("commit "+name+" as (REPO[:TAG], empty for none): ", "", prompt{enter: func(m Model, v string) (tea.Model, tea.Cmd) {
		v = strings.TrimSpace(v)
		return m, action(strings.TrimSpace("berth commit "+name+" "+v), func(ctx context.Context) error {
			_, err := e.Commit(ctx, id, engine.CommitOptions{Ref: v, Pause: true})
			return err
		})
	}})
}
