// Package events is the typed stream engine operations report on: image
// tagged, layer downloading, container started. The CLI renders events as
// lines and progress bars, the TUI as panes; the engine itself never prints.
//
// Publishing must never block an engine operation: a subscriber that falls
// behind loses events (and is told how many) rather than stalling a pull.
package events

import (
	"sync"
	"time"
)

// Type is the kind of object an event is about.
type Type string

const (
	Image     Type = "image"
	Layer     Type = "layer"
	Container Type = "container"
)

// Event is one thing that happened.
type Event struct {
	Time   time.Time
	Type   Type
	Action string // tag, untag, delete, load, import, save, progress, ...
	ID     string // image ID, layer digest, container ID
	Name   string // reference or container name, when there is one
	// Progress, for long work: bytes done and total (0 if unknown).
	Current, Total int64
	Status         string
}

// Bus fans events out to subscribers within one process.
type Bus struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription receives events until Close.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	bus     *Bus
	dropped int
}

// Dropped counts events lost because the subscriber fell behind.
func (s *Subscription) Dropped() int {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	return s.dropped
}

// Close stops delivery and closes C.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	if _, ok := s.bus.subs[s]; ok {
		delete(s.bus.subs, s)
		close(s.c)
	}
}

// Subscribe returns a subscription buffered for n events.
func (b *Bus) Subscribe(n int) *Subscription {
	c := make(chan Event, n)
	s := &Subscription{C: c, c: c, bus: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[*Subscription]struct{}{}
	}
	b.subs[s] = struct{}{}
	return s
}

// Publish delivers e to every subscriber that has room. A nil Bus drops it.
func (b *Bus) Publish(e Event) {
	if b == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.c <- e:
		default:
			s.dropped++
		}
	}
}
