package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/x/ansi"

	"berth/engine/build"
)

// buildTTY draws build progress on a terminal as docker does by default:
// finished steps print once, with CACHED or their time; the running steps
// stay at the bottom with the last lines of their output, redrawn in place.
type buildTTY struct {
	mu      sync.Mutex
	w       io.Writer
	width   int
	now     func() time.Time
	start   time.Time
	order   []string
	steps   map[string]*ttyStep
	drawn   int // lines of the live area on screen
	last    time.Time
	stopped bool
}

type ttyStep struct {
	label   string // "[stage 2/5] RUN make"
	started time.Time
	cached  bool
	output  []string // the last few lines
}

const ttyTail = 6

func newBuildTTY(w io.Writer, width int) *buildTTY {
	if width <= 0 {
		width = 80
	}
	t := &buildTTY{w: w, width: width, now: time.Now, steps: map[string]*ttyStep{}}
	t.start = t.now()
	return t
}

func (t *buildTTY) event(ev build.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ev.Kind == build.Warning {
		t.clear()
		fmt.Fprintf(t.w, "WARNING: %s\n", ev.Text)
		t.draw(true)
		return
	}
	k := fmt.Sprintf("%s/%d", ev.Stage, ev.Step)
	switch ev.Kind {
	case build.StepStart:
		t.steps[k] = &ttyStep{label: fmt.Sprintf("[%s %d/%d] %s", ev.Stage, ev.Step, ev.Steps, ev.Text), started: t.now()}
		t.order = append(t.order, k)
	case build.StepCached:
		if s := t.steps[k]; s != nil {
			s.cached = true
		}
	case build.StepOutput:
		if s := t.steps[k]; s != nil {
			s.output = append(s.output, ev.Text)
			if len(s.output) > ttyTail {
				s.output = s.output[len(s.output)-ttyTail:]
			}
		}
	case build.StepDone:
		s := t.steps[k]
		if s == nil {
			break
		}
		// A finished step leaves the live area for good, above it.
		t.clear()
		line := " => " + s.label
		if s.cached {
			line = " => CACHED " + s.label
		}
		fmt.Fprintln(t.w, t.fit(line, fmt.Sprintf("%.1fs", ev.Elapsed.Seconds())))
		delete(t.steps, k)
		for i, o := range t.order {
			if o == k {
				t.order = append(t.order[:i], t.order[i+1:]...)
				break
			}
		}
		t.draw(true)
		return
	}
	t.draw(false)
}

// finish removes the live area; the build is over.
func (t *buildTTY) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clear()
	t.stopped = true
}

// clear erases the live area so a line can print above it.
func (t *buildTTY) clear() {
	if t.drawn > 0 {
		fmt.Fprintf(t.w, "\x1b[%dA\x1b[J", t.drawn)
		t.drawn = 0
	}
}

// draw redraws the live area, at most ten times a second unless forced.
func (t *buildTTY) draw(force bool) {
	if t.stopped || !force && t.now().Sub(t.last) < 100*time.Millisecond {
		return
	}
	t.last = t.now()
	t.clear()
	var lines []string
	lines = append(lines, fmt.Sprintf("[+] Building %.1fs", t.now().Sub(t.start).Seconds()))
	for _, k := range t.order {
		s := t.steps[k]
		lines = append(lines, t.fit(" => "+s.label, fmt.Sprintf("%.1fs", t.now().Sub(s.started).Seconds())))
		for _, o := range s.output {
			lines = append(lines, ansi.Truncate(" => => # "+o, t.width-1, "…"))
		}
	}
	fmt.Fprint(t.w, strings.Join(lines, "\n")+"\n")
	t.drawn = len(lines)
}

// fit puts right at the end of a line of the terminal's width.
func (t *buildTTY) fit(left, right string) string {
	room := t.width - 1 - len(right) - 1
	left = ansi.Truncate(left, max(10, room), "…")
	pad := max(1, t.width-1-ansi.StringWidth(left)-len(right))
	return left + strings.Repeat(" ", pad) + right
}
