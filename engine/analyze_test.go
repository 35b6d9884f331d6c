package engine

import (
	"os"
	"testing"

	"berth/internal/fixture"
)

func TestAnalyzeLayersFixture(t *testing.T) {
	e := newEngine(t)
	load(t, e, fixture.LayersLayout(t))
	a, err := e.AnalyzeImage(ctx, "berth/layers")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Layers) != 3 {
		t.Fatalf("%d layers", len(a.Layers))
	}
	// /data/big was written in layer 1 and overwritten in layer 2: its
	// first version is the waste (motd and /opt/app/{a,b} add a few bytes).
	if a.WastedBytes < fixture.BigFileSize || a.WastedBytes > fixture.BigFileSize+64 {
		t.Fatalf("wasted %d, want about %d", a.WastedBytes, fixture.BigFileSize)
	}
	if a.Wasted[0].Path != "/data/big" || a.Wasted[0].Count != 1 {
		t.Fatalf("top waste %+v", a.Wasted[0])
	}
	paths := map[string]bool{}
	for _, w := range a.Wasted {
		paths[w.Path] = true
	}
	if os.Geteuid() == 0 && (!paths["/etc/motd"] || !paths["/opt/app/a"]) {
		t.Fatalf("deleted and opaque-hidden files not counted: %v", paths)
	}
	if a.Efficiency <= 0.5 || a.Efficiency >= 0.9 {
		t.Fatalf("efficiency %.3f", a.Efficiency)
	}
	// One layer: nothing can be wasted.
	load(t, e, fixture.BusyboxLayout(t))
	b, err := e.AnalyzeImage(ctx, "busybox")
	if err != nil || b.WastedBytes != 0 || b.Efficiency != 1 {
		t.Fatalf("busybox: %+v %v", b, err)
	}
}
