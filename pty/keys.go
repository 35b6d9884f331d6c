package pty

import tea "github.com/charmbracelet/bubbletea"

var special = map[tea.KeyType]string{
	tea.KeyUp: "\x1b[A", tea.KeyDown: "\x1b[B", tea.KeyRight: "\x1b[C", tea.KeyLeft: "\x1b[D",
	tea.KeyHome: "\x1b[H", tea.KeyEnd: "\x1b[F", tea.KeyPgUp: "\x1b[5~", tea.KeyPgDown: "\x1b[6~",
	tea.KeyDelete: "\x1b[3~", tea.KeyInsert: "\x1b[2~", tea.KeyShiftTab: "\x1b[Z",
	tea.KeyF1: "\x1bOP", tea.KeyF2: "\x1bOQ", tea.KeyF3: "\x1bOR", tea.KeyF4: "\x1bOS",
	tea.KeySpace: " ",
}

// KeyBytes turns a key press into what a terminal would send for it.
func KeyBytes(k tea.KeyMsg) []byte {
	var out string
	switch {
	case k.Type == tea.KeyRunes:
		out = string(k.Runes)
	case k.Type >= 0 && k.Type < 32, k.Type == tea.KeyBackspace:
		// bubbletea's control keys are their ASCII codes.
		out = string(rune(k.Type))
	default:
		out = special[k.Type]
	}
	if k.Alt && out != "" {
		out = "\x1b" + out
	}
	return []byte(out)
}
