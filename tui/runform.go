package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"berth/engine"
	"berth/engine/network"
	"berth/themes"
)

// runForm is `berth run -d` with its common options as fields, opened by r
// on an image. Empty fields mean the image's defaults.
type runForm struct {
	image  string // a reference, or the ID of an unnamed image
	label  string
	fields []textinput.Model
	focus  int
}

var runFields = []struct{ label, hint string }{
	{"name", "a name, or empty for a generated one"},
	{"command", "words after the image, e.g. sleep 3600; empty: the image's CMD"},
	{"publish", "-p, space-separated: 8080:80 127.0.0.1:5353:53/udp"},
	{"env", "-e, space-separated: KEY=value OTHER=x"},
	{"volumes", "-v, space-separated: data:/data /host/dir:/in:ro"},
	{"network", "bridge (default), none, host, or a network's name"},
}

func newRunForm(image, label string) *runForm {
	f := &runForm{image: image, label: label}
	for _, rf := range runFields {
		in := textinput.New()
		in.Prompt = fmt.Sprintf("%-8s ", rf.label)
		in.Placeholder = rf.hint
		f.fields = append(f.fields, in)
	}
	f.fields[0].Focus()
	return f
}

func (f *runForm) value(label string) string {
	for i, rf := range runFields {
		if rf.label == label {
			return strings.TrimSpace(f.fields[i].Value())
		}
	}
	return ""
}

// options turns the fields into create options, with the CLI's parsers so
// a bad value reads as the CLI's error would.
func (f *runForm) options() (engine.CreateOptions, string, error) {
	o := engine.CreateOptions{Image: f.image, Name: f.value("name")}
	if c := f.value("command"); c != "" {
		// Quotes group words as a shell's would: sh -c "echo hi".
		words, err := shell.NewLex('\\').ProcessWords(c, shell.EnvsFromSlice(nil))
		if err != nil {
			return o, "", fmt.Errorf("command: %w", err)
		}
		o.Cmd = words
	}
	cli := []string{"berth run -d"}
	if o.Name != "" {
		cli = append(cli, "--name "+o.Name)
	}
	for _, p := range strings.Fields(f.value("publish")) {
		maps, err := network.ParsePublish(p)
		if err != nil {
			return o, "", fmt.Errorf("publish %s: %w", p, err)
		}
		o.Host.PortBindings = append(o.Host.PortBindings, maps...)
		cli = append(cli, "-p "+p)
	}
	for _, e := range strings.Fields(f.value("env")) {
		if !strings.Contains(e, "=") {
			return o, "", fmt.Errorf("env %s: want KEY=value", e)
		}
		o.Env = append(o.Env, e)
		cli = append(cli, "-e "+e)
	}
	for _, v := range strings.Fields(f.value("volumes")) {
		m, err := engine.ParseVolume(v)
		if err != nil {
			return o, "", fmt.Errorf("volume %s: %w", v, err)
		}
		o.Host.Mounts = append(o.Host.Mounts, m)
		cli = append(cli, "-v "+v)
	}
	if n := f.value("network"); n != "" {
		o.Host.NetworkMode = n
		cli = append(cli, "--network "+n)
	}
	cli = append(cli, f.label)
	if c := f.value("command"); c != "" {
		cli = append(cli, c)
	}
	return o, strings.Join(cli, " "), nil
}

// runFormKey gives the form a key: fields take typing, tab moves, enter
// runs, esc cancels.
func (m *Model) runFormKey(msg tea.KeyMsg) tea.Cmd {
	f := m.runForm
	switch {
	case msg.Type == tea.KeyEsc:
		m.runForm, m.err = nil, nil
		m.status = "run cancelled"
		return nil
	case msg.Type == tea.KeyTab, msg.Type == tea.KeyDown, msg.Type == tea.KeyShiftTab, msg.Type == tea.KeyUp:
		f.fields[f.focus].Blur()
		d := 1
		if msg.Type == tea.KeyShiftTab || msg.Type == tea.KeyUp {
			d = len(f.fields) - 1
		}
		f.focus = (f.focus + d) % len(f.fields)
		return f.fields[f.focus].Focus()
	case msg.Type == tea.KeyEnter:
		o, cli, err := f.options()
		if err != nil {
			m.err = err // the form stays open to fix it
			return nil
		}
		m.runForm, m.err = nil, nil
		e := m.eng
		return action(cli, func(ctx context.Context) error {
			id, err := e.CreateContainer(ctx, o)
			if err != nil {
				return err
			}
			return e.StartDetached(ctx, id)
		})
	case msg.Type == tea.KeyCtrlC:
		// ctrl+c quits from anywhere; q is typing here.
		m.watch.close()
		return tea.Quit
	}
	var cmd tea.Cmd
	f.fields[f.focus], cmd = f.fields[f.focus].Update(msg)
	return cmd
}

func (f *runForm) view(th themes.Theme, w, h int) string {
	lines := []string{th.Header.Render("Run " + f.label + " (detached)"), ""}
	for i := range f.fields {
		f.fields[i].Width = max(10, w-12)
		lines = append(lines, f.fields[i].View())
	}
	lines = append(lines, "", th.Dim.Render("tab/shift+tab move · enter runs · esc cancels"))
	return lipgloss.NewStyle().Width(w).Height(h).MaxWidth(w).MaxHeight(h).Render(strings.Join(lines, "\n"))
}
