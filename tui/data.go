package tui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"berth/engine"
	"berth/engine/image"
	"berth/engine/monitor"
	"berth/internal/units"
)

// Every engine call runs as a tea.Cmd and comes back as one of these.
type (
	imagesMsg struct {
		items []engine.ImageSummary
		err   error
	}
	containersMsg struct {
		items []engine.ContainerInfo
		err   error
	}
	volumesMsg struct {
		items []engine.Volume
		err   error
	}
	layersMsg struct {
		key string
		a   *engine.Analysis
		err error
	}
	detailMsg struct {
		pane             detail // the pane it answers for
		key, title, text string
		logs             []monitor.LogEntry // for the logs pane
		err              error
	}
	statsMsg struct {
		id       string
		cpu, mem float64 // cpu in % of one core, mem in bytes
		memLimit float64
		pids     float64
		rx, tx   float64   // network bytes/s
		rd, wr   float64   // block I/O bytes/s
		sample   cpuSample // the counters the next sample is measured from
		err      error
	}
	statsBatchMsg []statsMsg
	actionMsg     struct {
		cli string // the CLI line that does the same: the command log
		err error
	}
	tickMsg time.Time
)

func loadAll(e *engine.Engine) tea.Cmd {
	return tea.Batch(
		func() tea.Msg { items, err := e.ImagesWithoutUsage(context.Background()); return imagesMsg{items, err} },
		func() tea.Msg { items, err := e.Containers(); return containersMsg{items, err} },
		func() tea.Msg { items, err := e.Volumes(); return volumesMsg{items, err} },
	)
}

func inspectImage(e *engine.Engine, id string) tea.Cmd {
	return func() tea.Msg {
		ins, err := e.InspectImage(context.Background(), id)
		if err != nil {
			return detailMsg{pane: inspectPane, key: id, err: err}
		}
		b, _ := json.MarshalIndent(ins, "", "  ")
		return detailMsg{pane: inspectPane, key: id, title: "Inspect " + engine.ShortID(ins.ID2()), text: string(b)}
	}
}

func layers(e *engine.Engine, id string) tea.Cmd {
	return func() tea.Msg {
		a, err := e.AnalyzeImage(context.Background(), id)
		return layersMsg{key: id, a: a, err: err}
	}
}

func inspectContainer(e *engine.Engine, id string) tea.Cmd {
	return func() tea.Msg {
		ci, err := e.Container(id)
		if err != nil {
			return detailMsg{pane: inspectPane, key: id, err: err}
		}
		b, _ := json.MarshalIndent(ci, "", "  ")
		return detailMsg{pane: inspectPane, key: id, title: "Inspect " + ci.Record.Name, text: string(b)}
	}
}

func logs(e *engine.Engine, id string) tea.Cmd {
	return func() tea.Msg {
		var entries []monitor.LogEntry
		err := e.Logs(context.Background(), id, engine.LogsOptions{Tail: 100000}, func(le monitor.LogEntry) error {
			entries = append(entries, le)
			return nil
		})
		return detailMsg{pane: logsPane, key: id, title: "Logs", logs: entries, err: err}
	}
}

// logLines lays log entries out as lines, stderr marked, with timestamps
// when asked.
func logLines(entries []monitor.LogEntry, timestamps bool) ([]string, []bool) {
	lines := make([]string, 0, len(entries))
	stderr := make([]bool, 0, len(entries))
	for _, le := range entries {
		l := strings.TrimRight(le.Log, "\n")
		if timestamps {
			l = le.Time.Format("2006-01-02T15:04:05.000Z07:00") + " " + l
		}
		lines = append(lines, l)
		stderr = append(stderr, le.Stream == "stderr")
	}
	return lines, stderr
}

// sampleStats reads the cgroup counters of the given running containers
// in one command, so a second's samples cost one update and one redraw
// however many containers run.
func sampleStats(e *engine.Engine, prev map[string]cpuSample) tea.Cmd {
	return func() tea.Msg {
		var out statsBatchMsg
		for id, p := range prev {
			out = append(out, sampleOne(e, id, p))
		}
		return out
	}
}

func sampleOne(e *engine.Engine, id string, prev cpuSample) statsMsg {
	s, err := e.Sample(context.Background(), id)
	if err != nil {
		return statsMsg{id: id, err: err}
	}
	m := statsMsg{id: id, mem: float64(s.Memory.WorkingSet), memLimit: float64(s.Memory.Limit), pids: float64(s.Pids.Current)}
	now := time.Now()
	cur := cpuSample{ns: s.CPU.UsageNS, at: now, rd: s.IO.ReadBytes, wr: s.IO.WriteBytes, rx: s.RxBytes, tx: s.TxBytes}
	if !prev.at.IsZero() {
		secs := now.Sub(prev.at).Seconds()
		rate := func(a, b uint64) float64 {
			if a < b || secs <= 0 {
				return 0
			}
			return float64(a-b) / secs
		}
		m.cpu = rate(cur.ns, prev.ns) / 1e9 * 100
		m.rx, m.tx = rate(cur.rx, prev.rx), rate(cur.tx, prev.tx)
		m.rd, m.wr = rate(cur.rd, prev.rd), rate(cur.wr, prev.wr)
	}
	m.sample = cur
	return m
}

// cpuSample holds the cumulative counters of one sample; rates are the
// differences between two.
type cpuSample struct {
	ns             uint64
	rx, tx, rd, wr uint64
	at             time.Time
}

// action runs an engine call and reports it with its CLI equivalent.
func action(cli string, fn func(ctx context.Context) error) tea.Cmd {
	return func() tea.Msg { return actionMsg{cli: cli, err: fn(context.Background())} }
}

func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func humanSize(n int64) string { return units.HumanSize(n) }

func ago(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func familiar(tags []string) (string, string) {
	if len(tags) == 0 {
		return "<none>", "<none>"
	}
	return image.SplitFamiliar(tags[0])
}
