// Package keymap defines every key binding of the TUI in one place, with the
// help text the help overlay shows. Views read bindings from here and never
// compare raw key strings themselves, so a user's remapping reaches them all.
package keymap

import "github.com/charmbracelet/bubbles/key"

// KeyMap is the set of bindings.
type KeyMap struct {
	Up, Down, Top, Bottom key.Binding
	Refresh, Help, Quit   key.Binding
}

// Default is berth's stock keymap (vim keys and arrows).
func Default() KeyMap {
	return KeyMap{
		Up:      key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:    key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		Top:     key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:  key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Refresh: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "refresh")),
		Help:    key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp lists the bindings for the status line.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down, k.Help, k.Quit} }

// FullHelp lists every binding for the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Top, k.Bottom}, {k.Refresh, k.Help, k.Quit}}
}
