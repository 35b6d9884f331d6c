package tui

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"berth/internal/fixture"
)

func TestFoldJSON(t *testing.T) {
	b, _ := json.MarshalIndent(map[string]any{"a": 1, "b": map[string]any{"c": []int{1, 2}, "d": "x"}, "e": []string{"y"}}, "", "  ")
	lines := strings.Split(string(b), "\n")
	if got := foldJSON(lines, 0); len(got) != len(lines) {
		t.Errorf("depth 0 changed the text")
	}
	one := strings.Join(foldJSON(lines, 1), "\n")
	want := "{\n  \"a\": 1,\n  \"b\": {…},\n  \"e\": […]\n}"
	if one != want {
		t.Errorf("depth 1:\n%s\nwant\n%s", one, want)
	}
	two := strings.Join(foldJSON(lines, 2), "\n")
	if !strings.Contains(two, `"c": […],`) || !strings.Contains(two, `"d": "x"`) {
		t.Errorf("depth 2:\n%s", two)
	}
}

// z folds the inspect JSON a level at a time; y copies all of it.
func TestInspectFoldAndCopy(t *testing.T) {
	if _, err := fixture.BusyboxBinary(); err != nil {
		t.Skip(err)
	}
	var clip bytes.Buffer
	old := clipboardOut
	clipboardOut = &clip
	defer func() { clipboardOut = old }()
	m := testModel(t)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 30))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("RepoTags")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("z")})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("folded to 1 levels")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("copied")) })
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if !strings.Contains(fm.View(), `"Config": {…},`) {
		t.Errorf("folded view:\n%s", fm.View())
	}
	if !strings.HasPrefix(clip.String(), "\x1b]52;c;") {
		t.Fatalf("no OSC 52 sequence written: %q", clip.String())
	}
}
