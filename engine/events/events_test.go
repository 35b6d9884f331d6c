package events

import "testing"

func TestBusDeliversAndDropsWithoutBlocking(t *testing.T) {
	var b Bus
	fast, slow := b.Subscribe(10), b.Subscribe(1)
	for i := 0; i < 3; i++ {
		b.Publish(Event{Type: Image, Action: "tag"})
	}
	if len(fast.C) != 3 || len(slow.C) != 1 || slow.Dropped() != 2 {
		t.Fatalf("fast %d slow %d dropped %d", len(fast.C), len(slow.C), slow.Dropped())
	}
	if e := <-fast.C; e.Time.IsZero() || e.Action != "tag" {
		t.Fatalf("event %+v", e)
	}
	fast.Close()
	fast.Close()
	b.Publish(Event{})
	var nilBus *Bus
	nilBus.Publish(Event{})
}
