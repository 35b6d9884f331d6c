// Package themes holds the TUI's lipgloss styles. Views take a Theme and
// never build colors themselves, so one switch changes the whole screen.
package themes

import (
	"os"

	"github.com/charmbracelet/lipgloss"
)

// Theme is the set of styles views draw with.
type Theme struct {
	Title, Header, Selected, Dim, Status, Error lipgloss.Style
}

// Dark is the default theme.
func Dark() Theme {
	return Theme{
		Title:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#7DD3FC")),
		Header:   lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#A1A1AA")),
		Selected: lipgloss.NewStyle().Foreground(lipgloss.Color("#0F172A")).Background(lipgloss.Color("#7DD3FC")),
		Dim:      lipgloss.NewStyle().Foreground(lipgloss.Color("#71717A")),
		Status:   lipgloss.NewStyle().Foreground(lipgloss.Color("#A1A1AA")),
		Error:    lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("#F87171")),
	}
}

// Plain draws with attributes only: what NO_COLOR asks for.
func Plain() Theme {
	b := lipgloss.NewStyle()
	return Theme{Title: b.Bold(true), Header: b.Bold(true), Selected: b.Reverse(true), Dim: b, Status: b, Error: b.Bold(true)}
}

// FromEnv picks the theme the environment asks for.
func FromEnv() Theme {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return Plain()
	}
	return Dark()
}
