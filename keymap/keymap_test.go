package keymap

import (
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func TestApplyOverrides(t *testing.T) {
	k := Default()
	if err := k.Apply(map[string][]string{"quit": {"Q"}, "logs": {"o", "l"}}); err != nil {
		t.Fatal(err)
	}
	if !key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("Q")}, k.Quit) {
		t.Error("Q does not quit")
	}
	if key.Matches(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}, k.Quit) {
		t.Error("q still quits")
	}
	if k.Quit.Help().Key != "Q" {
		t.Errorf("help shows %q", k.Quit.Help().Key)
	}
	err := k.Apply(map[string][]string{"qiut": {"x"}})
	if err == nil || !strings.Contains(err.Error(), "keys.qiut") {
		t.Fatalf("unknown action: %v", err)
	}
}

// Every binding has keys: an action added to KeyMap but not to Default
// would silently never fire.
func TestEveryActionBound(t *testing.T) {
	k := Default()
	for name, b := range k.bindings() {
		if len(b.Keys()) == 0 {
			t.Errorf("action %s has no default key", name)
		}
	}
}
