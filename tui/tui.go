// Package tui is the bubbletea program berth opens with no arguments: the
// root model owns focus, layout and routing, and turns every engine call into
// a tea.Cmd so no keystroke ever waits on I/O. Store changes made by other
// berth processes arrive through an inotify watcher, not a polling loop.
//
// It must never write to the store directly or print outside the program.
package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"berth/config"
	"berth/engine"
	"berth/engine/monitor"
	"berth/keymap"
	"berth/pty"
	"berth/themes"
	"berth/views"
)

type side int

const (
	imagesTab side = iota
	containersTab
	volumesTab
	buildsTab
)

var sideNames = []string{"Images", "Containers", "Volumes", "Builds"}

type detail int

const (
	inspectPane detail = iota
	logsPane
	statsPane
	layersPane
	shellPane
)

// Model is the root model.
type Model struct {
	eng           *engine.Engine
	keys          keymap.KeyMap
	theme         themes.Theme
	help          help.Model
	width, height int
	side          side
	tables        [4]*views.Table
	detail        detail
	text          views.Text
	detailKey     string
	ctrs          map[string]engine.ContainerInfo
	hist          map[string]*history
	status        string
	err           error
	showHelp      bool
	confirm       *confirmation
	prompt        *prompt // what the input line is for, when it is open
	filter        textinput.Model
	watch         *watcher
	now           func() time.Time
	shells        map[string]*pty.Session
	shellFocus    bool
	zoom          bool
	logEntries    []monitor.LogEntry
	timestamps    bool
	layers        *layersView
	marked        map[string]bool // containers picked for a bulk action
	attached      map[string]bool // the container's pane is an attach, not a shell
	imageItems    []engine.ImageSummary
	imageSort     int // index into imageSorts
	runForm       *runForm
	mouseOff      bool // the terminal, not berth, gets the mouse
	inspectTitle  string
	inspectRaw    []string // the inspect pane's JSON, unfolded
	foldDepth     int      // JSON levels shown in inspect; 0 is all
	layerFocus    bool     // keys go to the layer tree
	builds        []*buildRun
	ticking       bool // 1 s samples run only while containers run
	split         bool // containers: the stats pane beside the detail
	progress      *pullProgress
}

type history struct {
	cpu, mem, pids []float64
	rx, tx, rd, wr []float64
	memLimit       float64
	last           cpuSample // kept by Update: commands run concurrently
}

type confirmation struct {
	question string
	cmd      tea.Cmd
}

// New builds the root model over an open engine, with the user's keys and
// theme from the config file.
func New(e *engine.Engine) (Model, error) {
	keys := keymap.Default()
	theme := themes.FromEnv()
	cfg, err := config.Load(config.Path())
	if err != nil {
		return Model{}, err
	}
	if err := keys.Apply(cfg.Keys); err != nil {
		return Model{}, fmt.Errorf("%s: %w", config.Path(), err)
	}
	if cfg.Theme != "" {
		if theme, err = themes.Named(cfg.Theme); err != nil {
			return Model{}, fmt.Errorf("%s: %w", config.Path(), err)
		}
	}
	h := help.New()
	h.ShortSeparator = " | "
	fi := textinput.New()
	fi.Prompt = "/"
	m := Model{eng: e, keys: keys, theme: theme, help: h, width: 80, height: 24, now: time.Now, filter: fi,
		ctrs: map[string]engine.ContainerInfo{}, hist: map[string]*history{}, shells: map[string]*pty.Session{},
		marked: map[string]bool{}, attached: map[string]bool{}}
	m.tables[imagesTab] = &views.Table{Columns: []views.Column{{Title: "REPOSITORY"}, {Title: "TAG", Width: 8},
		{Title: "IMAGE ID", Width: 12, Optional: true}, {Title: "AGE", Width: 4, Optional: true}, {Title: "SIZE", Width: 6, Right: true}}}
	m.tables[containersTab] = &views.Table{Columns: []views.Column{{Title: "NAME"}, {Title: "IMAGE", Optional: true},
		{Title: "STATE", Width: 9}, {Title: "UP", Width: 4, Optional: true}, {Title: "CPU", Width: 6, Right: true}, {Title: "MEM", Width: 6, Right: true},
		{Title: "CPU 1m", Width: 10, Optional: true}, {Title: "PORTS", Width: 18, Optional: true}}}
	m.tables[volumesTab] = &views.Table{Columns: []views.Column{{Title: "NAME"}, {Title: "DRIVER", Width: 6}}}
	m.tables[buildsTab] = &views.Table{Columns: []views.Column{{Title: "BUILD"}, {Title: "STATUS", Width: 12}}}
	m.watch = newWatcher(e.Store.Root())
	return m, nil
}

// Init loads everything and starts listening for store changes.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{loadAll(m.eng)}
	if m.watch != nil {
		cmds = append(cmds, m.watch.wait)
	}
	return tea.Batch(cmds...)
}

// Update routes messages.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.Width = msg.Width
		return m, nil
	case storeChangedMsg:
		return m, tea.Batch(loadAll(m.eng), m.watch.wait, m.refreshDetail())
	case imagesMsg:
		m.setErr(msg.err)
		m.imageItems = msg.items
		keys, rows := imageRows(msg.items, m.now(), m.imageSort)
		m.tables[imagesTab].SetRows(keys, rows)
		cmd := m.detailIfNew()
		return m, cmd
	case containersMsg:
		m.setErr(msg.err)
		m.ctrs = map[string]engine.ContainerInfo{}
		for _, c := range msg.items {
			m.ctrs[c.Record.ID] = c
		}
		m.refreshContainerRows()
		cmd := m.detailIfNew()
		// Samples tick only while something runs: an idle screen never
		// redraws.
		if !m.ticking && m.anyRunning() {
			m.ticking = true
			return m, tea.Batch(cmd, tick())
		}
		return m, cmd
	case volumesMsg:
		m.setErr(msg.err)
		var keys []string
		var rows [][]string
		for _, v := range msg.items {
			keys = append(keys, v.Name)
			rows = append(rows, []string{v.Name, "local"})
		}
		m.tables[volumesTab].SetRows(keys, rows)
		return m, nil
	case layersMsg:
		if msg.key != m.detailKey || m.detail != layersPane {
			return m, nil
		}
		if msg.err != nil {
			m.layers = nil
			m.text.SetText("error", msg.err.Error())
			return m, nil
		}
		m.layers = newLayersView(msg.key, msg.a)
		return m, nil
	case detailMsg:
		if msg.key != m.detailKey || msg.pane != m.detail {
			return m, nil // an answer for an item or pane no longer shown
		}
		if msg.err != nil {
			m.text.SetText("error", msg.err.Error())
			return m, nil
		}
		if msg.logs != nil || msg.title == "Logs" {
			m.logEntries = msg.logs
			lines, stderr := logLines(msg.logs, m.timestamps)
			m.text.Style = nil
			m.text.SetLines(msg.title, lines, stderr)
			return m, nil
		}
		if msg.pane == inspectPane {
			m.inspectTitle, m.inspectRaw = msg.title, strings.Split(strings.TrimRight(msg.text, "\n"), "\n")
			m.showInspect()
			return m, nil
		}
		m.text.Style = nil
		m.text.SetText(msg.title, msg.text)
		return m, nil
	case statsBatchMsg:
		for _, st := range msg {
			if st.err != nil {
				continue
			}
			h := m.hist[st.id]
			if h == nil {
				h = &history{}
				m.hist[st.id] = h
			}
			h.cpu = appendCap(h.cpu, st.cpu)
			h.mem = appendCap(h.mem, st.mem)
			h.pids = appendCap(h.pids, st.pids)
			h.rx, h.tx = appendCap(h.rx, st.rx), appendCap(h.tx, st.tx)
			h.rd, h.wr = appendCap(h.rd, st.rd), appendCap(h.wr, st.wr)
			h.memLimit = st.memLimit
			h.last = st.sample
		}
		m.refreshContainerRows()
		return m, nil
	case tickMsg:
		if !m.anyRunning() {
			m.ticking = false
			return m, nil
		}
		cmds := []tea.Cmd{m.sampleRunning(), tick()}
		// Logs of a running container follow while their pane is shown.
		if c, ok := m.ctrs[m.detailKey]; ok && m.side == containersTab && m.detail == logsPane && c.State.Status == "running" {
			cmds = append(cmds, logs(m.eng, m.detailKey))
		}
		return m, tea.Batch(cmds...)
	case actionMsg:
		m.status = "$ " + msg.cli
		m.setErr(msg.err)
		return m, loadAll(m.eng)
	case progressMsg:
		if m.progress == nil || msg.sub != m.progress.sub {
			return m, nil
		}
		m.progress.add(msg.ev)
		return m, m.progress.next()
	case buildEventsMsg:
		cmd := m.onBuildEvents(msg)
		return m, cmd
	case buildDoneMsg:
		cmd := m.onBuildDone(msg)
		return m, cmd
	case pullDoneMsg:
		m.status = "$ berth pull " + msg.ref
		if m.progress != nil {
			m.progress.sub.Close()
			m.progress.done = true
		}
		m.setErr(msg.err)
		return m, loadAll(m.eng)
	case shellMsg:
		s := m.shells[msg.id]
		if s == nil {
			return m, nil
		}
		select {
		case <-s.Done:
			return m, nil
		default:
		}
		return m, waitShell(msg.id, s)
	case tea.MouseMsg:
		return m.mouse(msg)
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m Model) anyRunning() bool {
	for _, c := range m.ctrs {
		if c.State.Status == "running" {
			return true
		}
	}
	return false
}

func appendCap(s []float64, v float64) []float64 {
	s = append(s, v)
	if len(s) > 300 { // 5 minutes of 1 s samples
		s = s[len(s)-300:]
	}
	return s
}

func (m *Model) setErr(err error) {
	if err != nil {
		m.err = err
	}
}

func (m Model) sampleRunning() tea.Cmd {
	prev := map[string]cpuSample{}
	for id, c := range m.ctrs {
		if c.State.Status == "running" {
			var last cpuSample
			if h := m.hist[id]; h != nil {
				last = h.last
			}
			prev[id] = last
		}
	}
	return sampleStats(m.eng, prev)
}

func (m *Model) refreshContainerRows() {
	var keys []string
	var rows [][]string
	now := m.now()
	for _, ci := range sortedContainers(m.ctrs) {
		r, s := ci.Record, ci.State
		up, cpu, mem, spark := "-", "-", "-", ""
		state := s.Status
		if s.Health != nil && s.Health.Status != "" && state == "running" {
			state += "(" + s.Health.Status[:1] + ")"
		}
		if s.Status == "running" {
			up = ago(s.StartedAt, now)
			if h := m.hist[r.ID]; h != nil && len(h.cpu) > 0 {
				cpu = fmt.Sprintf("%.1f%%", h.cpu[len(h.cpu)-1])
				mem = humanSize(int64(h.mem[len(h.mem)-1]))
				spark = views.Sparkline(h.cpu, 10, 100)
			}
		}
		name := r.Name
		if m.marked[r.ID] {
			name = "* " + name
		}
		keys = append(keys, r.ID)
		rows = append(rows, []string{name, r.Image, state, up, cpu, mem, spark, strings.Join(s.Ports, ",")})
	}
	m.tables[containersTab].SetRows(keys, rows)
}

func (m Model) selected() string { return m.tables[m.side].SelectedKey() }

// detailIfNew loads the detail pane when the selection changed.
func (m *Model) detailIfNew() tea.Cmd {
	if m.selected() == m.detailKey {
		return nil
	}
	return m.refreshDetail()
}

func (m *Model) refreshDetail() tea.Cmd {
	id := m.selected()
	m.detailKey = id
	if id == "" {
		m.text.SetText("", "")
		return nil
	}
	switch m.side {
	case imagesTab:
		if m.detail == layersPane {
			return layers(m.eng, id)
		}
		return inspectImage(m.eng, id)
	case containersTab:
		switch m.detail {
		case logsPane:
			return logs(m.eng, id)
		case inspectPane:
			return inspectContainer(m.eng, id)
		}
	case buildsTab:
		m.showBuild()
		return nil
	case volumesTab:
		return func() tea.Msg {
			v, err := m.eng.Volume(id)
			return detailMsg{pane: inspectPane, key: id, title: "Volume " + id, text: fmt.Sprintf("Name: %s\nMountpoint: %s\nCreated: %s\n", v.Name, v.Mountpoint, v.CreatedAt), err: err}
		}
	}
	return nil
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.shellFocus && m.detail == shellPane {
		s := m.shells[m.detailKey]
		switch {
		case s == nil:
			m.shellFocus = false
		case key.Matches(msg, m.keys.LeaveShell):
			m.shellFocus, m.zoom = false, false
		case key.Matches(msg, m.keys.Zoom):
			m.zoom = !m.zoom
		default:
			// Every other key belongs to the shell, q included.
			s.Write(pty.KeyBytes(msg))
		}
		return m, nil
	}
	if m.runForm != nil {
		cmd := m.runFormKey(msg)
		return m, cmd
	}
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && m.prompt == nil {
		// Keys typed fast (or sent by tmux) can arrive as one message;
		// outside a text field each rune is a command of its own.
		var model tea.Model = m
		var cmds []tea.Cmd
		for i, r := range msg.Runes {
			var cmd tea.Cmd
			model, cmd = model.(Model).key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			cmds = append(cmds, cmd)
			if mm := model.(Model); (mm.prompt != nil || mm.runForm != nil || mm.shellFocus) && i+1 < len(msg.Runes) {
				// The rest is typing into the field that just opened.
				model, cmd = mm.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[i+1:]})
				cmds = append(cmds, cmd)
				break
			}
		}
		return model, tea.Batch(cmds...)
	}
	if m.layerFocus && m.prompt == nil && m.side == imagesTab && m.detail == layersPane && m.layers != nil {
		switch {
		case key.Matches(msg, m.keys.Back):
			m.layerFocus = false
			return m, nil
		case key.Matches(msg, m.keys.Filter):
			return m.askPathFilter()
		case key.Matches(msg, m.keys.Quit):
		default:
			if m.layers.handle(m.keys, msg, m.height/2) {
				return m, nil
			}
		}
	}
	if m.confirm != nil {
		c := m.confirm
		m.confirm = nil
		if msg.String() == "y" || msg.String() == "Y" {
			return m, c.cmd
		}
		m.status = "cancelled"
		return m, nil
	}
	if m.prompt != nil {
		return m.promptKey(msg)
	}
	k := m.keys
	t := m.tables[m.side]
	id := t.SelectedKey()
	switch {
	case key.Matches(msg, k.Quit):
		m.watch.close()
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = !m.showHelp
	case key.Matches(msg, k.Back):
		m.showHelp, m.err = false, nil
	case key.Matches(msg, k.NextTab, k.PrevTab, k.Images, k.Containers, k.Volumes, k.Builds):
		switch {
		case key.Matches(msg, k.NextTab):
			m.side = (m.side + 1) % 4
		case key.Matches(msg, k.PrevTab):
			m.side = (m.side + 3) % 4
		case key.Matches(msg, k.Images):
			m.side = imagesTab
		case key.Matches(msg, k.Containers):
			m.side = containersTab
		case key.Matches(msg, k.Volumes):
			m.side = volumesTab
		default:
			m.side = buildsTab
		}
		cmd := m.switchTab()
		return m, cmd
	case key.Matches(msg, k.Up):
		t.Move(-1)
		cmd := m.detailIfNew()
		return m, cmd
	case key.Matches(msg, k.Down):
		t.Move(1)
		cmd := m.detailIfNew()
		return m, cmd
	case key.Matches(msg, k.Top):
		t.Move(-t.Len())
		cmd := m.detailIfNew()
		return m, cmd
	case key.Matches(msg, k.Bottom):
		t.Move(t.Len())
		cmd := m.detailIfNew()
		return m, cmd
	case key.Matches(msg, k.PageUp):
		m.text.Scroll(-(m.height / 2))
	case key.Matches(msg, k.PageDown):
		m.text.Scroll(m.height / 2)
	case key.Matches(msg, k.Follow):
		if m.text.Follow {
			m.text.Follow = false
			m.status = "following paused (f resumes)"
		} else {
			m.text.Bottom()
			m.status = "following"
		}
	case key.Matches(msg, k.Wrap):
		m.text.Wrap = !m.text.Wrap
	case key.Matches(msg, k.LogsTop):
		m.text.Top()
	case key.Matches(msg, k.LogsEnd):
		m.text.Bottom()
	case key.Matches(msg, k.CollapseAll) && m.detail == inspectPane && len(m.inspectRaw) > 0:
		m.foldDepth = (m.foldDepth + 1) % 4
		m.showInspect()
	case key.Matches(msg, k.Copy):
		m.status = copyToClipboard(m.paneText())
	case key.Matches(msg, k.Mouse):
		m.mouseOff = !m.mouseOff
		if m.mouseOff {
			m.status = "mouse off: the terminal selects text (M turns it back on)"
			return m, tea.DisableMouse
		}
		m.status = "mouse on"
		return m, tea.EnableMouseCellMotion
	case key.Matches(msg, k.Filter):
		// On a logs pane, / searches the text; else it filters the list.
		if m.detail == logsPane && m.side == containersTab {
			return m.askLogSearch()
		}
		return m.askTableFilter()
	case key.Matches(msg, k.Pull) && m.side == imagesTab:
		return m.askPull()
	case key.Matches(msg, k.Build) && (m.side == imagesTab || m.side == buildsTab):
		return m.askBuild()
	case key.Matches(msg, k.NextMatch) && m.detail == logsPane:
		m.text.Next(1)
	case key.Matches(msg, k.PrevMatch) && m.detail == logsPane:
		m.text.Next(-1)
	case key.Matches(msg, k.Timestamps) && m.detail == logsPane:
		m.timestamps = !m.timestamps
		lines, stderr := logLines(m.logEntries, m.timestamps)
		m.text.SetLines("Logs", lines, stderr)
	case key.Matches(msg, k.Refresh):
		return m, tea.Batch(loadAll(m.eng), m.refreshDetail())
	case key.Matches(msg, k.Logs) && m.side == containersTab:
		m.detail, m.text.Follow = logsPane, true
		cmd := m.refreshDetail()
		return m, cmd
	case key.Matches(msg, k.Open) && m.side == imagesTab && m.detail == layersPane && m.layers != nil:
		m.layerFocus = true
	case key.Matches(msg, k.Inspect), key.Matches(msg, k.Open):
		m.detail = inspectPane
		if m.side == containersTab && key.Matches(msg, k.Open) {
			m.detail, m.text.Follow = logsPane, true
		}
		cmd := m.refreshDetail()
		return m, cmd
	case key.Matches(msg, k.Stats) && m.side == containersTab:
		m.detail = statsPane
	case key.Matches(msg, k.Split):
		m.split = !m.split
	case key.Matches(msg, k.Shell) && m.side == containersTab && id != "":
		return m.openShell(id)
	case key.Matches(msg, k.Layers) && m.side == imagesTab:
		m.detail = layersPane
		cmd := m.refreshDetail()
		return m, cmd
	case id != "":
		return m.act(msg, id)
	}
	return m, nil
}

func (m *Model) switchTab() tea.Cmd {
	if m.side == imagesTab && m.detail != layersPane {
		m.detail = inspectPane
	}
	return m.refreshDetail()
}

// act runs the actions on the selected item; destructive ones ask first.
func (m Model) act(msg tea.KeyMsg, id string) (tea.Model, tea.Cmd) {
	k, e := m.keys, m.eng
	name := id
	if c, ok := m.ctrs[id]; ok {
		name = c.Record.Name
	}
	switch m.side {
	case imagesTab:
		switch {
		case key.Matches(msg, k.Sort):
			m.imageSort = (m.imageSort + 1) % len(imageSorts)
			keys, rows := imageRows(m.imageItems, m.now(), m.imageSort)
			m.tables[imagesTab].SetRows(keys, rows)
			m.status = "images by " + imageSorts[m.imageSort]
			return m, nil
		case key.Matches(msg, k.Tag):
			return m.askTag(id)
		case key.Matches(msg, k.Push):
			ref := ""
			for _, im := range m.imageItems {
				if im.ID.String() == id && len(im.RepoTags) > 0 {
					ref = im.RepoTags[0]
				}
			}
			if ref == "" {
				m.err = fmt.Errorf("image %s has no name to push: tag it first (%s)", engine.ShortID(digestOf(id)), k.Tag.Help().Key)
				return m, nil
			}
			return m, action("berth push "+ref, func(ctx context.Context) error { return e.Push(ctx, ref) })
		case key.Matches(msg, k.Run):
			ref, label := id, engine.ShortID(digestOf(id))
			for _, im := range m.imageItems {
				if im.ID.String() == id && len(im.RepoTags) > 0 {
					// By name, so the container lists its image as docker's would.
					repo, tag := familiar(im.RepoTags)
					ref, label = im.RepoTags[0], repo+":"+tag
				}
			}
			m.runForm = newRunForm(ref, label)
			return m, m.runForm.fields[0].Focus()
		case key.Matches(msg, k.Remove):
			m.confirm = &confirmation{question: "Remove image " + engine.ShortID(digestOf(id)) + "?",
				cmd: action("berth rmi "+engine.ShortID(digestOf(id)), func(ctx context.Context) error {
					_, err := e.RemoveImage(ctx, id, false)
					return err
				})}
		}
	case containersTab:
		ids, names := m.targets(id)
		all := strings.Join(names, " ")
		// each runs fn on every target; errors are joined, not stopped at.
		each := func(verb string, fn func(ctx context.Context, id string) error) tea.Cmd {
			return action("berth "+verb+" "+all, func(ctx context.Context) error {
				var errs []error
				for _, t := range ids {
					errs = append(errs, fn(ctx, t))
				}
				return errors.Join(errs...)
			})
		}
		bulk := len(ids) > 1
		switch {
		case key.Matches(msg, k.Toggle):
			m.marked[id] = !m.marked[id]
			if !m.marked[id] {
				delete(m.marked, id)
			}
			m.refreshContainerRows()
			m.tables[containersTab].Move(1)
			return m, nil
		case key.Matches(msg, k.Start):
			m.clearMarks()
			return m, each("start", e.StartDetached)
		case key.Matches(msg, k.Stop):
			m.clearMarks()
			return m, each("stop", func(ctx context.Context, id string) error { return e.Stop(ctx, id, nil) })
		case key.Matches(msg, k.Pause):
			m.clearMarks()
			if c, ok := m.ctrs[id]; ok && c.State.Status == "paused" {
				return m, each("unpause", e.Unpause)
			}
			return m, each("pause", e.Pause)
		case key.Matches(msg, k.Restart):
			m.clearMarks()
			return m, each("restart", func(ctx context.Context, id string) error {
				if err := e.Stop(ctx, id, nil); err != nil {
					return err
				}
				return e.StartDetached(ctx, id)
			})
		case key.Matches(msg, k.Kill):
			m.confirm = &confirmation{question: "Kill " + all + "?",
				cmd: each("kill", func(ctx context.Context, id string) error { return e.Kill(ctx, id, syscall.SIGKILL) })}
			m.clearMarks()
		case key.Matches(msg, k.Remove):
			q := "Remove container " + all + " (and stop it)?"
			if bulk {
				q = fmt.Sprintf("Remove %d containers (%s), stopping them?", len(ids), all)
			}
			m.confirm = &confirmation{question: q,
				cmd: each("rm -f", func(ctx context.Context, id string) error { return e.RemoveContainer(ctx, id, true, false) })}
			m.clearMarks()
		case key.Matches(msg, k.Commit):
			return m.askCommit(id, name)
		case key.Matches(msg, k.Attach):
			return m.openAttach(id)
		}
	case volumesTab:
		if key.Matches(msg, k.Remove) {
			m.confirm = &confirmation{question: "Remove volume " + id + "?",
				cmd: action("berth volume rm "+id, func(ctx context.Context) error { return e.RemoveVolume(id, false) })}
		}
	}
	return m, nil
}

// showInspect draws the inspect JSON folded to the chosen depth.
func (m *Model) showInspect() {
	title := m.inspectTitle
	if m.foldDepth > 0 {
		title += fmt.Sprintf("  (folded to %d levels; z)", m.foldDepth)
	}
	m.text.Style = jsonStyle
	m.text.SetLines(title, foldJSON(m.inspectRaw, m.foldDepth), nil)
}

// paneText is what y copies: the whole JSON or log, not just the rows shown.
func (m Model) paneText() string {
	if m.detail == inspectPane && len(m.inspectRaw) > 0 {
		return strings.Join(m.inspectRaw, "\n") + "\n"
	}
	if m.detail == logsPane {
		var b strings.Builder
		for _, e := range m.logEntries {
			b.WriteString(e.Log)
			if !strings.HasSuffix(e.Log, "\n") {
				b.WriteString("\n")
			}
		}
		return b.String()
	}
	return ""
}

// targets are the marked containers, or the selected one when none is.
func (m Model) targets(id string) (ids, names []string) {
	for _, c := range sortedContainers(m.ctrs) {
		if m.marked[c.Record.ID] {
			ids, names = append(ids, c.Record.ID), append(names, c.Record.Name)
		}
	}
	if len(ids) == 0 {
		ids, names = []string{id}, []string{m.ctrs[id].Record.Name}
	}
	return ids, names
}

func (m *Model) clearMarks() {
	if len(m.marked) > 0 {
		m.marked = map[string]bool{}
		m.refreshContainerRows()
	}
}

func (m Model) mouse(msg tea.MouseMsg) (tea.Model, tea.Cmd) {
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		m.text.Scroll(-3)
	case tea.MouseButtonWheelDown:
		m.text.Scroll(3)
	case tea.MouseButtonLeft:
		if msg.Action != tea.MouseActionPress {
			return m, nil
		}
		if msg.Y == 0 { // the tab bar
			x := 7
			for i, n := range sideNames {
				w := len(n) + 4
				if msg.X >= x && msg.X < x+w {
					m.side = side(i)
					cmd := m.switchTab()
					return m, cmd
				}
				x += w
			}
			return m, nil
		}
		if msg.X < m.leftWidth() && msg.Y >= 2 {
			t := m.tables[m.side]
			t.Move(msg.Y - 2 - t.Cursor)
			cmd := m.detailIfNew()
			return m, cmd
		}
	}
	return m, nil
}

func (m Model) leftWidth() int {
	if m.width < 120 {
		return m.width / 2
	}
	return m.width * 2 / 5
}

// View draws the screen.
func (m Model) View() string {
	th := m.theme
	var tabs []string
	for i, n := range sideNames {
		label := fmt.Sprintf("%d %s", i+1, n)
		if side(i) == m.side {
			tabs = append(tabs, th.TabActive.Render(label))
		} else {
			tabs = append(tabs, th.TabInactive.Render(label))
		}
	}
	top := th.Title.Render("berth ") + strings.Join(tabs, " ")
	bodyH := max(3, m.height-3)
	var body string
	if m.zoom && m.detail == shellPane {
		body = m.shellView(m.width, bodyH)
	} else if m.showHelp {
		body = lipgloss.NewStyle().Width(m.width).Height(bodyH).MaxHeight(bodyH).Render(helpView(th, m.keys.FullHelp(), m.width, bodyH))
	} else {
		lw := m.leftWidth()
		empty := map[side]string{imagesTab: "no images: berth pull, load or import one",
			containersTab: "no containers: select an image and press r", volumesTab: "no volumes",
			buildsTab: "no builds: press b, then give a context path and a tag"}[m.side]
		left := m.tables[m.side].View(th, lw, bodyH, true, empty)
		right := m.detailView(m.width-lw-1, bodyH)
		if m.split && m.side == containersTab && m.detail != statsPane {
			rw := m.width - lw - 1
			w1 := rw / 2
			right = lipgloss.JoinHorizontal(lipgloss.Top, m.detailView(w1, bodyH),
				strings.TrimRight(strings.Repeat(th.Dim.Render("│")+"\n", bodyH), "\n"), m.statsView(rw-w1-1, bodyH))
		}
		sep := strings.TrimRight(strings.Repeat(th.Dim.Render("│")+"\n", bodyH), "\n")
		body = lipgloss.JoinHorizontal(lipgloss.Top, left, sep, right)
	}
	status := m.help.ShortHelpView(m.keys.ShortHelp())
	switch {
	case m.confirm != nil:
		status = th.Warn.Render(m.confirm.question + " [y/N]")
	case m.prompt != nil:
		status = m.filter.View()
	case m.err != nil:
		status = th.Error.Render(oneLine(m.err.Error())) + th.Dim.Render("  (esc)")
	case m.status != "":
		status = th.Dim.Render(m.status) + "  " + status
	}
	return top + "\n" + body + "\n" + fitLine(status, m.width)
}

func (m Model) detailView(w, h int) string {
	if m.runForm != nil {
		return m.runForm.view(m.theme, w, h)
	}
	if m.side == imagesTab && m.progress != nil && !m.progress.done {
		return m.progress.view(m.theme, w, h)
	}
	if m.side == imagesTab && m.detail == layersPane && m.layers != nil && m.layers.key == m.detailKey {
		return m.layers.view(m.theme, w, h, m.layerFocus)
	}
	if m.side == containersTab && m.detail == shellPane {
		return m.shellView(w, h)
	}
	if m.side == containersTab && m.detail == statsPane {
		return m.statsView(w, h)
	}
	return m.text.View(m.theme, w, h)
}

// statsView graphs the selected container's samples.
func (m Model) statsView(w, h int) string {
	{
		id := m.selected()
		hst := m.hist[id]
		if hst == nil || len(hst.cpu) == 0 {
			return views.Stats(m.theme, "Stats", nil, w, h)
		}
		memNow := humanSize(int64(hst.mem[len(hst.mem)-1]))
		if hst.memLimit > 0 {
			memNow += "/" + humanSize(int64(hst.memLimit))
		}
		series := []views.Series{
			{Name: "CPU %", Values: hst.cpu, Top: 100, Now: fmt.Sprintf("%.1f%%", hst.cpu[len(hst.cpu)-1])},
			{Name: "MEM", Values: hst.mem, Top: hst.memLimit, Now: memNow},
			{Name: "PIDS", Values: hst.pids, Now: fmt.Sprintf("%.0f", hst.pids[len(hst.pids)-1])},
			rateSeries("NET rx", hst.rx), rateSeries("NET tx", hst.tx),
			rateSeries("BLK read", hst.rd), rateSeries("BLK write", hst.wr),
		}
		return views.Stats(m.theme, "Stats (1 s samples, 5 min)", series, w, h)
	}
}

// rateSeries graphs a bytes-per-second series.
func rateSeries(name string, v []float64) views.Series {
	now := "-"
	if len(v) > 0 {
		now = humanSize(int64(v[len(v)-1])) + "/s"
	}
	return views.Series{Name: name, Values: v, Now: now}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func fitLine(s string, w int) string {
	if lipgloss.Width(s) > w {
		return lipgloss.NewStyle().MaxWidth(w).Render(s)
	}
	return s
}

// frameRate caps redraws. bubbletea v1 wakes its renderer at this rate even
// when nothing changed; on a VM each wakeup costs about 0.2 ms of CPU, so 60
// (the default) idles at 1.4% of a core and 30 at 0.8%, while 33 ms stays
// below what a typist notices in a shell pane.
const frameRate = 30

// Run opens the workstation and returns when the user quits. bubbletea
// restores the terminal on exit and on a panic inside the program.
func Run(ctx context.Context, e *engine.Engine) error {
	m, err := New(e)
	if err != nil {
		return err
	}
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx), tea.WithFPS(frameRate))
	go quitOnHangup(p)
	_, err = p.Run()
	m.watch.close()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}
