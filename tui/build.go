package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"berth/engine"
	"berth/engine/build"
)

// buildRun is one build started from the TUI: its progress lines (the
// CLI's plain progress, so both read the same) and its outcome.
type buildRun struct {
	key     string
	label   string
	events  chan build.Event
	log     *build.PlainLog
	lines   []string
	final   string // the outcome, drawn after every line: events may still be on their way when it comes
	step    string // "3/7" of the step running
	started time.Time
	elapsed time.Duration
	done    bool
	err     error
}

type buildEventsMsg struct {
	key string
	evs []build.Event
}

type buildDoneMsg struct {
	key string
	res build.Result
	err error
}

// parseBuildInput reads the prompt: PATH [TAG] or PATH -t TAG.
func parseBuildInput(in string) (path string, tags []string) {
	f := strings.Fields(in)
	for i := 0; i < len(f); i++ {
		switch {
		case f[i] == "-t" && i+1 < len(f):
			tags = append(tags, f[i+1])
			i++
		case path == "":
			path = f[i]
		default:
			tags = append(tags, f[i])
		}
	}
	return path, tags
}

// startBuild runs a build in the background; the Builds tab follows it.
func (m Model) startBuild(input string) (tea.Model, tea.Cmd) {
	path, tags := parseBuildInput(input)
	if path == "" {
		return m, nil
	}
	label := filepath.Base(path)
	if len(tags) > 0 {
		label = tags[0]
	}
	br := &buildRun{key: fmt.Sprintf("build-%d", len(m.builds)+1), label: label,
		events: make(chan build.Event, 4096), log: build.NewPlainLog(), started: m.now()}
	m.builds = append(m.builds, br)
	m.side = buildsTab
	m.refreshBuildRows()
	m.tables[buildsTab].Move(len(m.builds))
	m.showBuild()
	e := m.eng
	run := func() tea.Msg {
		res, err := build.Build(context.Background(), e, build.Options{ContextDir: path, Tags: tags,
			Progress: func(ev build.Event) { br.events <- ev }})
		close(br.events)
		return buildDoneMsg{key: br.key, res: res, err: err}
	}
	m.status = "$ berth build " + strings.TrimSpace(input)
	return m, tea.Batch(run, nextBuildEvents(br))
}

// nextBuildEvents hands over what the build reported, in batches: a RUN
// printing thousands of lines costs a few redraws, not thousands.
func nextBuildEvents(br *buildRun) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-br.events
		if !ok {
			return nil
		}
		evs := []build.Event{ev}
		for len(evs) < 512 {
			select {
			case ev, ok := <-br.events:
				if !ok {
					return buildEventsMsg{key: br.key, evs: evs}
				}
				evs = append(evs, ev)
			default:
				return buildEventsMsg{key: br.key, evs: evs}
			}
		}
		return buildEventsMsg{key: br.key, evs: evs}
	}
}

func (m Model) buildByKey(key string) *buildRun {
	for _, b := range m.builds {
		if b.key == key {
			return b
		}
	}
	return nil
}

func (m *Model) onBuildEvents(msg buildEventsMsg) tea.Cmd {
	br := m.buildByKey(msg.key)
	if br == nil {
		return nil
	}
	for _, ev := range msg.evs {
		if ev.Kind == build.StepStart {
			br.step = fmt.Sprintf("%d/%d", ev.Step, ev.Steps)
		}
		if l := br.log.Line(ev); l != "" {
			br.lines = append(br.lines, l)
		}
	}
	m.refreshBuildRows()
	m.showBuild()
	return nextBuildEvents(br)
}

func (m *Model) onBuildDone(msg buildDoneMsg) tea.Cmd {
	br := m.buildByKey(msg.key)
	if br == nil {
		return nil
	}
	br.done, br.err, br.elapsed = true, msg.err, m.now().Sub(br.started)
	if msg.err != nil {
		br.final = "ERROR: " + msg.err.Error()
		m.setErr(msg.err)
	} else {
		br.final = "Successfully built " + engine.ShortID(msg.res.ID)
	}
	m.refreshBuildRows()
	m.showBuild()
	return loadAll(m.eng)
}

func (m *Model) refreshBuildRows() {
	var keys []string
	var rows [][]string
	for _, b := range m.builds {
		status := "running " + b.step
		switch {
		case b.done && b.err != nil:
			status = "failed"
		case b.done:
			status = fmt.Sprintf("done %.1fs", b.elapsed.Seconds())
		}
		keys = append(keys, b.key)
		rows = append(rows, []string{b.label, status})
	}
	m.tables[buildsTab].SetRows(keys, rows)
}

// showBuild puts the selected build's progress in the detail pane.
func (m *Model) showBuild() {
	if m.side != buildsTab {
		return
	}
	br := m.buildByKey(m.selected())
	if br == nil {
		return
	}
	m.detailKey = br.key
	m.text.Follow = !br.done || m.text.Follow
	lines := br.lines
	if br.final != "" {
		lines = append(lines[:len(lines):len(lines)], br.final)
	}
	m.text.SetLines("Build "+br.label, lines, nil)
}
