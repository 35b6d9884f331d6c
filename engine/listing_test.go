package engine

import (
	"testing"

	"berth/internal/fixture"
)

// A listing that does not show container counts must not read container
// records, and a lookup by full ID must find the container directly; both
// keep the TUI cheap on a store with many containers.
func TestListingsWithContainers(t *testing.T) {
	e := newEngine(t)
	load(t, e, fixture.BusyboxLayout(t))
	id, err := e.CreateContainer(ctx, CreateOptions{Image: "busybox", Name: "one", Cmd: []string{"true"}, Host: HostConfig{NetworkMode: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	with, err := e.Images(ctx)
	if err != nil || len(with) != 1 || with[0].Containers != 1 {
		t.Fatalf("Images: %+v %v", with, err)
	}
	without, err := e.ImagesWithoutUsage(ctx)
	if err != nil || len(without) != 1 || without[0].Containers != -1 || without[0].ID != with[0].ID {
		t.Fatalf("ImagesWithoutUsage: %+v %v", without, err)
	}
	for _, ref := range []string{id, id[:12], "one"} {
		if ci, err := e.Container(ref); err != nil || ci.Record.ID != id {
			t.Errorf("Container(%q): %v", ref, err)
		}
	}
	missing := "0000000000000000000000000000000000000000000000000000000000000000"
	if _, err := e.Container(missing); err == nil {
		t.Error("found a container that does not exist")
	}
}
