// Package pty is the host side of terminal sessions: allocating PTYs,
// copying between them and the user's terminal or a TUI pane, resizing, and
// the terminal emulation that renders a container's shell inside a pane.
//
// It must never know about containers: it moves bytes and cell grids.
package pty
