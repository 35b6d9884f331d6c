// Package tui is the bubbletea program berth opens with no arguments: the
// root model owns focus, layout and routing, and turns every engine call into
// a tea.Cmd so no keystroke ever waits on I/O.
//
// It must never write to the store directly or print outside the program.
package tui

import (
	"context"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"berth/engine"
	"berth/keymap"
	"berth/themes"
	"berth/views"
)

// Model is the root model.
type Model struct {
	eng           *engine.Engine
	keys          keymap.KeyMap
	theme         themes.Theme
	help          help.Model
	images        views.Images
	width, height int
	err           error
	showHelp      bool
	now           func() time.Time
}

// New builds the root model over an open engine.
func New(e *engine.Engine) Model {
	h := help.New()
	h.ShortSeparator = " | "
	return Model{eng: e, keys: keymap.Default(), theme: themes.FromEnv(), help: h,
		width: 80, height: 24, now: time.Now}
}

type imagesMsg struct {
	items []engine.ImageSummary
	err   error
}

func (m Model) loadImages() tea.Msg {
	items, err := m.eng.Images(context.Background())
	return imagesMsg{items, err}
}

// Init starts the first engine call.
func (m Model) Init() tea.Cmd { return m.loadImages }

// Update routes messages.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case imagesMsg:
		m.images.Items, m.err = msg.items, msg.err
		m.images.Move(0)
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, m.keys.Quit):
			return m, tea.Quit
		case key.Matches(msg, m.keys.Up):
			m.images.Move(-1)
		case key.Matches(msg, m.keys.Down):
			m.images.Move(1)
		case key.Matches(msg, m.keys.Top):
			m.images.Move(-len(m.images.Items))
		case key.Matches(msg, m.keys.Bottom):
			m.images.Move(len(m.images.Items))
		case key.Matches(msg, m.keys.Refresh):
			return m, m.loadImages
		case key.Matches(msg, m.keys.Help):
			m.showHelp = !m.showHelp
		}
	}
	return m, nil
}

// View draws the screen.
func (m Model) View() string {
	title := m.theme.Title.Render(fmt.Sprintf("berth: %d images", len(m.images.Items)))
	body := m.images.View(m.theme, m.width, m.height-3, m.now())
	status := m.help.View(m.keys)
	if m.showHelp {
		status = m.help.FullHelpView(m.keys.FullHelp())
	}
	if m.err != nil {
		status = m.theme.Error.Render(m.err.Error())
	}
	return title + "\n" + body + "\n" + m.theme.Status.Render(status)
}

// Run opens the workstation and returns when the user quits. bubbletea
// restores the terminal on exit and on a panic inside the program.
func Run(ctx context.Context, e *engine.Engine) error {
	p := tea.NewProgram(New(e), tea.WithAltScreen(), tea.WithContext(ctx))
	_, err := p.Run()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}
