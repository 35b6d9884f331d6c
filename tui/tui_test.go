package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"berth/engine"
	"berth/internal/fixture"
)

func init() {
	// Golden files hold plain text: the same on every terminal.
	lipgloss.SetColorProfile(termenv.Ascii)
}

// fixedNow keeps "AGE" columns stable in golden files.
var fixedNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func testModel(t *testing.T) Model {
	t.Helper()
	t.Setenv("BERTH_CONFIG", "/nonexistent/berth-config.yaml")
	e, err := engine.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{fixture.BusyboxLayout(t), fixture.LayersLayout(t)} {
		if _, err := e.Load(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.CreateVolume("data", nil); err != nil {
		t.Fatal(err)
	}
	m, err := New(e)
	if err != nil {
		t.Fatal(err)
	}
	m.now = func() time.Time { return fixedNow }
	return m
}

// digests differ per machine (the busybox binary is the host's): mask them.
var (
	hexRun  = regexp.MustCompile(`[0-9a-f]{12,64}`)
	tmpPath = regexp.MustCompile(`/tmp/[^ │\n]* *`)
	// A time runs to the end of its cell: its length varies (trailing
	// zeros of the nanoseconds are dropped), so where a pane cuts it varies.
	stamp = regexp.MustCompile(`\d{4}-\d\d-\d\d[ T][0-9:.]+[^│\n]*`)
)

// stable masks what differs between machines and runs: digests (the
// busybox binary is the host's), temp paths, times of day.
func stable(b []byte) []byte {
	// A shell pane draws its own colors; the golden file is plain text.
	b = []byte(ansi.Strip(string(b)))
	b = hexRun.ReplaceAll(b, []byte("<hex>"))
	b = tmpPath.ReplaceAll(b, []byte("<tmp>"))
	b = stamp.ReplaceAll(b, []byte("<time>"))
	if mask != nil {
		b = mask(b)
	}
	return b
}

// mask, when set, hides more that varies (a running container's numbers).
var mask func([]byte) []byte

func golden(t *testing.T, name string, w, h int, until string, keys ...string) {
	t.Helper()
	goldenModel(t, testModel(t), name, w, h, until, keys...)
}

// goldenModel compares m's screen, after keys and once until shows, with
// testdata/NAME-WxH.golden.
func goldenModel(t *testing.T, m Model, name string, w, h int, until string, keys ...string) {
	t.Helper()
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	first := "busybox"
	if len(keys) == 0 {
		first = until
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(first)) },
		teatest.WithDuration(10*time.Second))
	if len(keys) > 0 {
		for _, k := range keys {
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)})
		}
		// The detail pane loads asynchronously: the renderer writes the
		// lines that change, so the awaited text shows up in the output.
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(until)) },
			teatest.WithDuration(10*time.Second))
	}
	time.Sleep(100 * time.Millisecond)
	// Out of a shell pane's focus first, then ctrl+c, which quits from
	// anywhere else (a form takes q as typing).
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlCloseBracket})
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	view := []byte(fm.View())
	path := fmt.Sprintf("testdata/%s-%dx%d.golden", name, w, h)
	matchGolden(t, path, stable(view))
}

func TestGoldenViews(t *testing.T) {
	if _, err := fixture.BusyboxBinary(); err != nil {
		t.Skip(err)
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		w, h := size[0], size[1]
		golden(t, "images", w, h, "RepoTags")
		golden(t, "layers", w, h, "efficiency", "j", "L")
		golden(t, "containers-empty", w, h, "no containers", "2")
		golden(t, "volumes", w, h, "Mountpoint", "3")
		golden(t, "builds", w, h, "no builds", "4")
		golden(t, "help", w, h, "previous tab", "?")
		golden(t, "run-form", w, h, "enter runs", "r")
	}
}

func TestActionsAskFirst(t *testing.T) {
	if _, err := fixture.BusyboxBinary(); err != nil {
		t.Skip(err)
	}
	m := testModel(t)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("busybox")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("[y/N]")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("cancelled")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t).(Model)
	if fm.tables[imagesTab].Len() != 2 {
		t.Fatalf("an image went without confirmation: %d left", fm.tables[imagesTab].Len())
	}
	io.Copy(io.Discard, tm.Output())
}

func BenchmarkFrame1000Containers500Images(b *testing.B) {
	for b.Loop() {
		FrameCost(1000, 500, 1)
	}
}

func TestFrameBudget(t *testing.T) {
	if d := FrameCost(1000, 500, 20); d > 50*time.Millisecond {
		t.Logf("frame took %v (budget 5 ms, measured by make bench)", d)
	}
}

var durations = regexp.MustCompile(`\d+\.\ds`)

// b on the Builds tab asks for a context, runs the build and follows its
// steps in the detail pane; the image is in the store afterwards.
func TestBuildFromTUI(t *testing.T) { atBothSizes(t, buildFromTUI) }

// atBothSizes runs a screen test at 80x24 and 160x48, the sizes.
func atBothSizes(t *testing.T, fn func(t *testing.T, w, h int)) {
	if _, err := fixture.BusyboxBinary(); err != nil {
		t.Skip(err)
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}} {
		fn(t, size[0], size[1])
	}
}

// matchGolden compares a screen with its golden file (UPDATE_GOLDEN=1
// writes it).
func matchGolden(t *testing.T, path string, view []byte) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") != "" {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(path, view, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (UPDATE_GOLDEN=1 writes it)", err)
	}
	if !bytes.Equal(view, want) {
		t.Fatalf("screen differs from %s:\n%s", path, view)
	}
}

func buildFromTUI(t *testing.T, w, h int) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(dir+"/Dockerfile", []byte("FROM busybox\nCOPY hello.txt /hello.txt\nLABEL made=tui\n"), 0o644)
	os.WriteFile(dir+"/hello.txt", []byte("hi"), 0o644)
	m := testModel(t)
	e := m.eng
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("busybox")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("4")})
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("b")})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("build (PATH [TAG])")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(dir + " tuibuilt:1")})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("#3 DONE")) && bytes.Contains(b, []byte("Successfully built"))
	},
		teatest.WithDuration(20*time.Second))
	time.Sleep(100 * time.Millisecond)
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	view := durations.ReplaceAll(stable([]byte(fm.View())), []byte("<dur>"))
	// The status line echoes the temp path, whose length varies (and may
	// cut the line): the command log is checked in the model instead.
	if st := fm.(Model).status; st != "$ berth build "+dir+" tuibuilt:1" {
		t.Errorf("command log %q", st)
	}
	view = view[:bytes.LastIndexByte(view, '\n')+1]
	path := fmt.Sprintf("testdata/build-done-%dx%d.golden", w, h)
	matchGolden(t, path, view)
	im, err := e.ResolveImage(context.Background(), "tuibuilt:1")
	if err != nil || im.Config.Config.Labels["made"] != "tui" {
		t.Fatalf("the build's image: %v, %v", im, err)
	}
}

// The layers pane is dive's: enter gives the tree the keys, a shows the
// whole image at the chosen layer, [ goes a layer down, / filters paths.
func TestLayersTree(t *testing.T) { atBothSizes(t, layersTree) }

func layersTree(t *testing.T, w, h int) {
	t.Helper()
	m := testModel(t)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("berth/layers")) })
	runes := func(s string) { tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }
	runes("j")
	runes("L")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("enter: explore")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	runes("[")
	runes("a")
	runes("/")
	runes("motd")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("filter: motd")) })
	runes("q") // the tree has the keys, but q still quits
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	view := stable([]byte(fm.View()))
	path := fmt.Sprintf("testdata/layers-tree-%dx%d.golden", w, h)
	matchGolden(t, path, view)
}

// r opens the run form; a bad field is reported and the form stays open
// to fix it; esc leaves without running anything.
func TestRunFormValidates(t *testing.T) {
	if _, err := fixture.BusyboxBinary(); err != nil {
		t.Skip(err)
	}
	m := testModel(t)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("busybox")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("r")})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("enter runs")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("notaport")})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("publish notaport")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("run cancelled")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if cs, _ := fm.eng.Containers(); len(cs) != 0 {
		t.Errorf("the form ran %d containers", len(cs))
	}
}
