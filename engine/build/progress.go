package build

import "time"

// EventKind says what happened to a step.
type EventKind int

const (
	StepStart  EventKind = iota // a step begins (Text is the instruction)
	StepCached                  // the step's result came from the cache
	StepOutput                  // one line a RUN printed
	StepDone                    // the step finished (Elapsed)
	Warning                     // something the user should know, not fatal
)

// Event is one piece of a build's progress. The CLI renders it docker-style
// and the TUI's Builds tab draws it; the builder never prints.
type Event struct {
	Kind    EventKind
	Stage   string // stage name, or its index when unnamed
	Step    int    // 1-based within the stage
	Steps   int
	Text    string // the instruction as written (StepStart), or the output line
	Elapsed time.Duration
}
