package build

import (
	"fmt"
	"time"
)

// PlainLog turns events into the lines of BuildKit's plain progress: one
// number per step, its output prefixed with the seconds into it. It only
// formats; the CLI writes the lines to stderr and the TUI's Builds tab keeps
// them. Not safe for concurrent use (Build serializes its events).
type PlainLog struct {
	ids    map[string]int
	starts map[int]time.Time
	now    func() time.Time
}

// NewPlainLog starts numbering steps from #1.
func NewPlainLog() *PlainLog {
	return &PlainLog{ids: map[string]int{}, starts: map[int]time.Time{}, now: time.Now}
}

// Line renders one event.
func (p *PlainLog) Line(ev Event) string {
	if ev.Kind == Warning {
		return "WARNING: " + ev.Text
	}
	k := fmt.Sprintf("%s/%d", ev.Stage, ev.Step)
	id, ok := p.ids[k]
	if !ok {
		id = len(p.ids) + 1
		p.ids[k] = id
	}
	switch ev.Kind {
	case StepStart:
		p.starts[id] = p.now()
		return fmt.Sprintf("#%d [%s %d/%d] %s", id, ev.Stage, ev.Step, ev.Steps, ev.Text)
	case StepCached:
		return fmt.Sprintf("#%d CACHED", id)
	case StepOutput:
		return fmt.Sprintf("#%d %.3f %s", id, p.now().Sub(p.starts[id]).Seconds(), ev.Text)
	case StepDone:
		return fmt.Sprintf("#%d DONE %.1fs", id, ev.Elapsed.Seconds())
	}
	return ""
}
