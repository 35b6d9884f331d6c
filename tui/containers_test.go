package tui

import (
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"berth/engine"
	"berth/engine/runtime"
	"berth/internal/testbin"
)

// startContainer runs cmd detached, with no network, in m's store; the
// test removes it at the end.
func startContainer(t *testing.T, m Model, name string, cmd ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running a container needs root")
	}
	runtime.SelfExe = testbin.Berth(t)
	e := m.eng
	ctx := context.Background()
	id, err := e.CreateContainer(ctx, engine.CreateOptions{Image: "busybox", Name: name, Cmd: cmd,
		Host: engine.HostConfig{NetworkMode: "none"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A container still starting refuses removal for a moment: retry,
		// and say so if it never goes, rather than leave it running.
		var err error
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if err = e.RemoveContainer(context.Background(), id, true, false); err == nil {
				return
			}
		}
		t.Errorf("remove test container %s: %v", name, err)
	})
	if err := e.StartDetached(ctx, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// withContainer adds an exited container with known output to m's store:
// the containers, logs and inspect panes then have something real to show.
func withContainer(t *testing.T, m Model) Model {
	t.Helper()
	id := startContainer(t, m, "hello", "sh", "-c", "echo out-line; sleep 0.1; echo err-line >&2; sleep 0.1; "+
		"echo a-much-longer-line-that-the-wrap-toggle-folds-onto-the-next-row-of-the-pane-when-it-is-narrow")
	deadline := time.Now().Add(15 * time.Second)
	for {
		ci, err := m.eng.Container(id)
		if err == nil && ci.State.Status == "exited" {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("container never exited: %+v %v", ci.State, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestGoldenContainerViews(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		w, h := size[0], size[1]
		goldenModel(t, withContainer(t, testModel(t)), "containers", w, h, "\"Record\"", "2")
		goldenModel(t, withContainer(t, testModel(t)), "logs", w, h, "err-line", "2", "l")
		goldenModel(t, withContainer(t, testModel(t)), "logs-wrapped", w, h, "err-line", "2", "l", "w")
		goldenModel(t, withContainer(t, testModel(t)), "inspect-folded", w, h, "folded to 1", "2", "z")
	}
}

// withRunning adds a running container (a shell can open in it) to m.
func withRunning(t *testing.T, m Model) Model {
	t.Helper()
	startContainer(t, m, "up", "sleep", "3600")
	return m
}

// Live numbers (CPU, memory, uptime) and the graphs drawing them differ
// from run to run, as does the busybox banner from host to host; the
// screen's layout is what the golden file holds.
var (
	liveRow    = regexp.MustCompile(`running[^│\n]*`)
	liveSeries = regexp.MustCompile(`│(CPU %|MEM|PIDS|NET rx|NET tx|BLK read|BLK write) [^│\n]*`)
	banner     = regexp.MustCompile(`BusyBox v[^│\n]*`)
	graphRow   = regexp.MustCompile(`│ {25}[ ▁▂▃▄▅▆▇█]*`)
)

func TestGoldenRunningViews(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		w, h := size[0], size[1]
		goldenMasked(t, withRunning(t, testModel(t)), "stats", w, h, "BLK write", "2", "t")
		// clear takes the host's busybox banner off the screen; the
		// arithmetic tells the command's output from its echo; no prompt
		// follows (the shell becomes sleep), so the screen is final.
		goldenMasked(t, withRunning(t, testModel(t)), "shell", w, h, "shell-2", "2", "s", "clear; echo shell-$((1+1)); exec sleep 600\r")
	}
}

// goldenMasked is goldenModel with live numbers masked too.
func goldenMasked(t *testing.T, m Model, name string, w, h int, until string, keys ...string) {
	t.Helper()
	mask = func(b []byte) []byte {
		b = liveRow.ReplaceAll(b, []byte("running <live>"))
		b = liveSeries.ReplaceAll(b, []byte("│$1 <live>"))
		b = graphRow.ReplaceAll(b, []byte("│ <graph>"))
		return banner.ReplaceAll(b, []byte("BusyBox <version>"))
	}
	defer func() { mask = nil }()
	goldenModel(t, m, name, w, h, until, keys...)
}
