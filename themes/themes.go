// Package themes holds the TUI's lipgloss styles. Views take a Theme and
// never build colors themselves, so one switch changes the whole screen.
package themes

import (
	"fmt"
	"os"

	"github.com/charmbracelet/lipgloss"
)

// Theme is the set of styles views draw with.
type Theme struct {
	Name                                                 string
	Title, Header, Selected, Dim, Status, Error, Border  lipgloss.Style
	TabActive, TabInactive, Running, Stopped, Warn, Mark lipgloss.Style
}

func build(name, accent, fg, dim, bgSel, fgSel, good, bad, warn string) Theme {
	s := lipgloss.NewStyle()
	return Theme{
		Name:        name,
		Title:       s.Bold(true).Foreground(lipgloss.Color(accent)),
		Header:      s.Bold(true).Foreground(lipgloss.Color(dim)),
		Selected:    s.Foreground(lipgloss.Color(fgSel)).Background(lipgloss.Color(bgSel)),
		Dim:         s.Foreground(lipgloss.Color(dim)),
		Status:      s.Foreground(lipgloss.Color(dim)),
		Error:       s.Bold(true).Foreground(lipgloss.Color(bad)),
		Border:      s.Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color(dim)),
		TabActive:   s.Bold(true).Foreground(lipgloss.Color(fgSel)).Background(lipgloss.Color(accent)).Padding(0, 1),
		TabInactive: s.Foreground(lipgloss.Color(fg)).Padding(0, 1),
		Running:     s.Foreground(lipgloss.Color(good)),
		Stopped:     s.Foreground(lipgloss.Color(dim)),
		Warn:        s.Foreground(lipgloss.Color(warn)),
		Mark:        s.Bold(true).Foreground(lipgloss.Color(warn)),
	}
}

// Dark is the default theme.
func Dark() Theme {
	return build("dark", "#7DD3FC", "#E4E4E7", "#A1A1AA", "#7DD3FC", "#0F172A", "#4ADE80", "#F87171", "#FBBF24")
}

// Light suits light terminal backgrounds.
func Light() Theme {
	return build("light", "#0369A1", "#18181B", "#52525B", "#0369A1", "#FFFFFF", "#15803D", "#B91C1C", "#B45309")
}

// HighContrast uses only the strongest colors.
func HighContrast() Theme {
	return build("high-contrast", "#FFFF00", "#FFFFFF", "#FFFFFF", "#FFFF00", "#000000", "#00FF00", "#FF0000", "#FFFF00")
}

// Plain draws with attributes only: what NO_COLOR asks for.
func Plain() Theme {
	s := lipgloss.NewStyle()
	return Theme{Name: "plain", Title: s.Bold(true), Header: s.Bold(true), Selected: s.Reverse(true), Dim: s, Status: s,
		Error: s.Bold(true), Border: s.Border(lipgloss.NormalBorder()), TabActive: s.Reverse(true).Padding(0, 1),
		TabInactive: s.Padding(0, 1), Running: s, Stopped: s, Warn: s.Bold(true), Mark: s.Bold(true)}
}

// Named returns a theme by name ("" is the default).
func Named(name string) (Theme, error) {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return Plain(), nil
	}
	switch name {
	case "", "dark":
		return Dark(), nil
	case "light":
		return Light(), nil
	case "high-contrast":
		return HighContrast(), nil
	}
	return Theme{}, fmt.Errorf("theme %q: want dark, light or high-contrast", name)
}

// FromEnv picks the default theme, honouring NO_COLOR.
func FromEnv() Theme {
	t, _ := Named("")
	return t
}
