// Package keymap defines every key binding of the TUI in one place, with the
// help text the help overlay shows. Views read bindings from here and never
// compare raw key strings themselves, so a user's remapping reaches them all.
package keymap

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
)

// KeyMap is the set of bindings.
type KeyMap struct {
	NextTab, PrevTab                        key.Binding
	Images, Containers, Volumes, Builds     key.Binding
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Open, Logs, Stats, Layers, Inspect      key.Binding
	Run, Start, Stop, Remove, Restart       key.Binding
	Filter, Refresh, Help, Quit, Back       key.Binding
	Follow, Shell, LeaveShell, Zoom         key.Binding
	NextMatch, PrevMatch, Timestamps        key.Binding
	Pull, Pause, Split, Build               key.Binding
	Toggle, PrevLayer, NextLayer, Aggregate key.Binding
	CollapseAll, Kill, Commit, Attach       key.Binding
	Push, Tag, Sort, Wrap, Copy             key.Binding
	LogsTop, LogsEnd, Mouse                 key.Binding
}

// Default is berth's stock keymap (vim keys and arrows), as the issue lists.
func Default() KeyMap {
	b := func(help string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(keysHelp(keys), help))
	}
	return KeyMap{
		NextTab: b("next tab", "tab"), PrevTab: b("previous tab", "shift+tab"),
		Images: b("images", "1"), Containers: b("containers", "2"), Volumes: b("volumes", "3"), Builds: b("builds", "4"),
		Up: b("up", "k", "up"), Down: b("down", "j", "down"), Top: b("top", "g", "home"), Bottom: b("bottom", "G", "end"),
		PageUp: b("page up", "ctrl+u", "pgup"), PageDown: b("page down", "ctrl+d", "pgdown"),
		Open: b("open", "enter"), Logs: b("logs", "l"), Stats: b("stats", "t"), Layers: b("layers", "L"), Inspect: b("inspect", "i"),
		Run: b("run image", "r"), Start: b("start", "u"), Stop: b("stop", "S"), Remove: b("remove", "x"), Restart: b("restart", "R"),
		Filter: b("filter", "/"), Refresh: b("refresh", "ctrl+r"), Help: b("help", "?"), Quit: b("quit", "q", "ctrl+c"),
		Back: b("back", "esc"), Follow: b("follow / pause", "f"),
		Shell: b("shell", "s"), LeaveShell: b("leave shell", "ctrl+]"), Zoom: b("zoom shell", "ctrl+o"),
		Pull: b("pull image", "p"), Pause: b("pause/unpause", "P"), Split: b("split: stats beside", "|"),
		Build:  b("build", "b"),
		Toggle: b("mark row / fold dir", " "), PrevLayer: b("previous layer", "["),
		NextLayer: b("next layer", "]"), Aggregate: b("whole image / layer", "a"),
		CollapseAll: b("fold all / JSON levels", "z"),
		Kill:        b("kill", "K"), Commit: b("commit", "c"), Attach: b("attach", "a"),
		Push: b("push image", "U"), Tag: b("tag image", "+"), Sort: b("sort images", "o"),
		Wrap: b("wrap lines", "w"), Copy: b("copy pane text", "y"),
		LogsTop: b("logs: to start", "<"), LogsEnd: b("logs: to end", ">"),
		Mouse:     b("mouse on/off", "M"),
		NextMatch: b("next match", "n"), PrevMatch: b("previous match", "N"), Timestamps: b("timestamps", "T"),
	}
}

// bindings names each binding as the config file does.
func (k *KeyMap) bindings() map[string]*key.Binding {
	return map[string]*key.Binding{
		"next_tab": &k.NextTab, "prev_tab": &k.PrevTab, "images": &k.Images, "containers": &k.Containers,
		"volumes": &k.Volumes, "builds": &k.Builds, "up": &k.Up, "down": &k.Down, "top": &k.Top, "bottom": &k.Bottom,
		"page_up": &k.PageUp, "page_down": &k.PageDown, "open": &k.Open, "logs": &k.Logs, "stats": &k.Stats,
		"layers": &k.Layers, "inspect": &k.Inspect, "run": &k.Run, "start": &k.Start, "stop": &k.Stop,
		"remove": &k.Remove, "restart": &k.Restart, "filter": &k.Filter, "refresh": &k.Refresh, "help": &k.Help,
		"quit": &k.Quit, "back": &k.Back, "follow": &k.Follow, "shell": &k.Shell, "leave_shell": &k.LeaveShell,
		"zoom": &k.Zoom, "next_match": &k.NextMatch, "prev_match": &k.PrevMatch, "timestamps": &k.Timestamps, "pull": &k.Pull, "pause": &k.Pause, "split": &k.Split,
		"build": &k.Build, "toggle": &k.Toggle, "prev_layer": &k.PrevLayer, "next_layer": &k.NextLayer,
		"aggregate": &k.Aggregate, "collapse_all": &k.CollapseAll, "kill": &k.Kill, "commit": &k.Commit,
		"attach": &k.Attach, "push": &k.Push, "tag": &k.Tag, "sort": &k.Sort, "wrap": &k.Wrap, "copy": &k.Copy,
		"logs_top": &k.LogsTop, "logs_end": &k.LogsEnd, "mouse": &k.Mouse,
	}
}

// Apply rebinds actions from the config file's keys section (action ->
// keys). An unknown action is an error naming it.
func (k *KeyMap) Apply(overrides map[string][]string) error {
	all := k.bindings()
	names := make([]string, 0, len(overrides))
	for n := range overrides {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		b, ok := all[name]
		if !ok {
			return fmt.Errorf("keys.%s: unknown action (known: %s)", name, strings.Join(k.Actions(), ", "))
		}
		keys := overrides[name]
		if len(keys) == 0 {
			return fmt.Errorf("keys.%s: no keys given", name)
		}
		for i, k := range keys {
			if k == "space" {
				keys[i] = " " // what the terminal library calls the space bar
			}
		}
		b.SetKeys(keys...)
		b.SetHelp(keysHelp(keys), b.Help().Desc)
	}
	return nil
}

// Actions lists the action names the config file may rebind.
func (k *KeyMap) Actions() []string {
	var out []string
	for n := range k.bindings() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ShortHelp lists the bindings for the status line.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.NextTab, k.Open, k.Logs, k.Shell, k.Inspect, k.Help, k.Quit}
}

// FullHelp lists every binding for the help overlay.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.NextTab, k.PrevTab, k.Images, k.Containers, k.Volumes, k.Builds},
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown},
		{k.Open, k.Logs, k.Stats, k.Layers, k.Inspect, k.Follow},
		{k.Filter, k.NextMatch, k.PrevMatch, k.Timestamps, k.Wrap, k.LogsTop, k.LogsEnd, k.Copy},
		{k.Shell, k.LeaveShell, k.Zoom, k.Split},
		{k.Toggle, k.PrevLayer, k.NextLayer, k.Aggregate, k.CollapseAll},
		{k.Sort, k.Tag, k.Push, k.Kill, k.Commit, k.Attach},
		{k.Run, k.Pull, k.Build, k.Start, k.Stop, k.Restart, k.Pause, k.Remove},
		{k.Refresh, k.Mouse, k.Back, k.Help, k.Quit},
	}
}

// keysHelp names keys for the help overlay; the space bar is " " to the
// terminal library and "space" to a reader.
func keysHelp(keys []string) string {
	shown := make([]string, len(keys))
	for i, k := range keys {
		if k == " " {
			k = "space"
		}
		shown[i] = k
	}
	return strings.Join(shown, "/")
}
