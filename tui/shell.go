package tui

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"golang.org/x/term"

	"berth/engine"
	"berth/engine/monitor"
	"berth/pty"
)

// shellCmd starts the best shell the image has: bash, else sh.
var shellCmd = []string{"sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; fi; exec sh"}

type shellMsg struct{ id string }

// waitShell is the command that turns screen changes into redraws.
func waitShell(id string, s *pty.Session) tea.Cmd {
	return func() tea.Msg {
		select {
		case <-s.Updates:
		case <-s.Done:
		}
		return shellMsg{id: id}
	}
}

// openShell shows (starting if needed) a shell in the container, in a pane
// that takes the keyboard until ctrl-] gives it back.
func (m Model) openShell(id string) (tea.Model, tea.Cmd) {
	m.detail, m.detailKey, m.shellFocus = shellPane, id, true
	if s := m.shells[id]; s != nil {
		select {
		case <-s.Done:
		default:
			return m, waitShell(id, s)
		}
	}
	c, ok := m.ctrs[id]
	if !ok || c.State.Status != "running" {
		m.shellFocus = false
		m.err = fmt.Errorf("container %s is not running: no shell", c.Record.Name)
		return m, nil
	}
	w, h := m.width-m.leftWidth()-1, max(3, m.height-3)-1
	e := m.eng
	s, err := pty.Start(max(w, 20), max(h, 5), func(slave *os.File) (int, error) {
		code, err := e.Exec(context.Background(), id, engine.ExecOptions{Cmd: shellCmd, Tty: true}, [3]*os.File{slave, slave, slave}, nil)
		if code == 127 {
			return code, fmt.Errorf("image %s has no shell (tried bash and sh)", c.Record.Image)
		}
		return code, err
	})
	if err != nil {
		m.err = err
		return m, nil
	}
	m.shells[id] = s
	delete(m.attached, id)
	return m, waitShell(id, s)
}

func (m Model) shellView(w, h int) string {
	s := m.shells[m.detailKey]
	th := m.theme
	name := m.ctrs[m.detailKey].Record.Name
	if s == nil {
		return lipgloss.NewStyle().Width(w).Height(h).Render(th.Dim.Render("no shell: press s on a running container"))
	}
	s.Resize(w, h-1)
	kind := "Shell"
	if m.attached[m.detailKey] {
		kind = "Attached to"
	}
	title := fmt.Sprintf("%s %s  (%s leaves, %s zooms)", kind, name, m.keys.LeaveShell.Help().Key, m.keys.Zoom.Help().Key)
	select {
	case <-s.Done:
		msg := fmt.Sprintf("exited (%d)", s.Code)
		if s.Err != nil {
			msg = s.Err.Error()
		}
		title += "  " + th.Warn.Render(msg)
	default:
	}
	if !m.shellFocus {
		title = th.Dim.Render(title + "  [not focused: s]")
	} else {
		title = th.Header.Render(title)
	}
	return title + "\n" + strings.TrimRight(s.Render(m.shellFocus), "\n")
}

// openAttach connects a pane to the container's main process, as `berth
// attach` does: its output, and the keyboard as its input when it has a
// stdin. The pane's own PTY is raw so bytes pass both ways untouched.
func (m Model) openAttach(id string) (tea.Model, tea.Cmd) {
	c, ok := m.ctrs[id]
	if !ok || c.State.Status != "running" {
		m.err = fmt.Errorf("container %s is not running: nothing to attach to", c.Record.Name)
		return m, nil
	}
	m.detail, m.detailKey, m.shellFocus = shellPane, id, true
	if s := m.shells[id]; s != nil {
		select {
		case <-s.Done:
		default:
			m.err = fmt.Errorf("container %s already has a pane open: ctrl-] then s shows it", c.Record.Name)
			m.shellFocus = false
			return m, nil
		}
	}
	w, h := m.width-m.leftWidth()-1, max(3, m.height-3)-1
	sock := m.eng.Store.Path("containers", id, monitor.AttachSocket)
	s, err := pty.Start(max(w, 20), max(h, 5), func(slave *os.File) (int, error) {
		// A TTY container's own terminal already turns \n into \r\n and
		// handles keys; the pane's must pass bytes untouched. Without a
		// TTY the pane's terminal stays cooked to do that work itself.
		if c.Record.Config.Tty {
			if st, err := term.MakeRaw(int(slave.Fd())); err == nil {
				defer term.Restore(int(slave.Fd()), st)
			}
		}
		var stdin io.Reader
		if c.Record.Config.OpenStdin {
			stdin = slave
		}
		sizes := make(chan monitor.Winsize, 1)
		sizes <- monitor.Winsize{Cols: uint16(max(w, 20)), Rows: uint16(max(h, 5))}
		code, _, err := monitor.Attach(sock, stdin, slave, slave, sizes, nil)
		return code, err
	})
	if err != nil {
		m.err = err
		return m, nil
	}
	m.shells[id] = s
	m.attached[id] = true
	return m, waitShell(id, s)
}
