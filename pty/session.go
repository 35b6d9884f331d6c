// Package pty is the host side of terminal sessions shown in a pane: it
// allocates a PTY pair, feeds what the program writes through a terminal
// emulator (vt10x: colors, cursor, alternate screen), and renders the
// emulated screen as ANSI text of any size, so vi and top work in a pane.
//
// It must never know about containers: it moves bytes and cell grids; the
// caller says what runs on the slave end.
package pty

import (
	"os"
	"strconv"
	"strings"
	"sync"

	creack "github.com/creack/pty"
	"github.com/hinshun/vt10x"
)

// Session is one program on a PTY, seen through an emulated screen.
type Session struct {
	master  *os.File
	term    vt10x.Terminal
	mu      sync.Mutex
	cols    int
	rows    int
	Updates chan struct{} // a token whenever the screen changed
	Done    chan struct{} // closed when the program ended
	Code    int           // its exit code, once Done
	Err     error
}

// Start runs fn with the slave end of a new PTY of cols x rows.
func Start(cols, rows int, fn func(slave *os.File) (int, error)) (*Session, error) {
	m, s, err := creack.Open()
	if err != nil {
		return nil, err
	}
	creack.Setsize(m, &creack.Winsize{Rows: uint16(rows), Cols: uint16(cols)})
	ss := &Session{master: m, cols: cols, rows: rows, Updates: make(chan struct{}, 1), Done: make(chan struct{})}
	// Answers to the program's queries (cursor position...) go back to it.
	ss.term = vt10x.New(vt10x.WithSize(cols, rows), vt10x.WithWriter(m))
	exited := make(chan struct{})
	go func() {
		ss.Code, ss.Err = fn(s)
		s.Close()
		close(exited)
	}()
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := m.Read(buf)
			if n > 0 {
				ss.mu.Lock()
				ss.term.Write(buf[:n])
				ss.mu.Unlock()
				ss.notify()
			}
			if err != nil {
				break
			}
		}
		<-exited
		close(ss.Done)
		ss.notify()
	}()
	return ss, nil
}

func (s *Session) notify() {
	select {
	case s.Updates <- struct{}{}:
	default:
	}
}

// Write sends input (keys) to the program.
func (s *Session) Write(p []byte) { s.master.Write(p) }

// Resize changes the PTY and the emulated screen.
func (s *Session) Resize(cols, rows int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cols == s.cols && rows == s.rows || cols < 2 || rows < 2 {
		return
	}
	s.cols, s.rows = cols, rows
	s.term.Resize(cols, rows)
	creack.Setsize(s.master, &creack.Winsize{Rows: uint16(rows), Cols: uint16(cols)})
}

// Close ends the session's side of the PTY.
func (s *Session) Close() { s.master.Close() }

// Screen returns the plain text of the emulated screen (tests read it).
func (s *Session) Screen() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.term.String()
}

// vt10x's glyph attribute bits (its constants are unexported).
const (
	attrUnderline = 1 << 1
	attrBold      = 1 << 2
	attrItalic    = 1 << 4
)

// Render draws the screen as ANSI text, colors kept; the cursor cell is
// shown in reverse video when showCursor is set.
func (s *Session) Render(showCursor bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.term.Lock()
	defer s.term.Unlock()
	cur := s.term.Cursor()
	curOn := showCursor && s.term.CursorVisible()
	var b strings.Builder
	for y := 0; y < s.rows; y++ {
		last := ""
		for x := 0; x < s.cols; x++ {
			g := s.term.Cell(x, y)
			sgr := sgrOf(g, curOn && x == cur.X && y == cur.Y)
			if sgr != last {
				b.WriteString("\x1b[0;" + sgr + "m")
				last = sgr
			}
			c := g.Char
			if c == 0 {
				c = ' '
			}
			b.WriteRune(c)
		}
		b.WriteString("\x1b[0m")
		if y < s.rows-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func sgrOf(g vt10x.Glyph, cursor bool) string {
	parts := []string{color(g.FG, true), color(g.BG, false)}
	if g.Mode&attrBold != 0 {
		parts = append(parts, "1")
	}
	if g.Mode&attrItalic != 0 {
		parts = append(parts, "3")
	}
	if g.Mode&attrUnderline != 0 {
		parts = append(parts, "4")
	}
	if cursor {
		parts = append(parts, "7")
	}
	return strings.Join(parts, ";")
}

func color(c vt10x.Color, fg bool) string {
	base := 30
	if !fg {
		base = 40
	}
	switch {
	case c == vt10x.DefaultFG || c == vt10x.DefaultBG || c >= 1<<24:
		if c == vt10x.DefaultFG && !fg {
			return "7" // reverse video swapped the defaults
		}
		return strconv.Itoa(base + 9)
	case c < 8:
		return strconv.Itoa(base + int(c))
	case c < 16:
		return strconv.Itoa(base + 60 + int(c) - 8)
	case c < 256:
		return strconv.Itoa(base+8) + ";5;" + strconv.Itoa(int(c))
	}
	return strconv.Itoa(base+8) + ";2;" + strconv.Itoa(int(c>>16&0xff)) + ";" + strconv.Itoa(int(c>>8&0xff)) + ";" + strconv.Itoa(int(c&0xff))
}
