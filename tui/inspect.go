package tui

import (
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strings"

	"berth/themes"
)

// foldJSON hides what an indented JSON document nests deeper than depth
// levels (0: nothing hidden); a folded object or array shows as {…} or […].
func foldJSON(lines []string, depth int) []string {
	if depth <= 0 {
		return lines
	}
	var out []string
	limit := 2 * depth // json.MarshalIndent's two spaces per level
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		ind := len(l) - len(strings.TrimLeft(l, " "))
		if ind > limit {
			continue
		}
		t := strings.TrimRight(l, " ")
		if ind == limit && (strings.HasSuffix(t, "{") || strings.HasSuffix(t, "[")) {
			closer := "}"
			if strings.HasSuffix(t, "[") {
				closer = "]"
			}
			// Skip to the closer at this indent and keep its comma.
			j := i + 1
			for ; j < len(lines); j++ {
				c := lines[j]
				if len(c)-len(strings.TrimLeft(c, " ")) == ind {
					break
				}
			}
			tail := ""
			if j < len(lines) && strings.HasSuffix(strings.TrimSpace(lines[j]), ",") {
				tail = ","
			}
			out = append(out, t+"…"+closer+tail)
			i = j
			continue
		}
		out = append(out, l)
	}
	return out
}

// jsonStyle colors one line of indented JSON: keys, strings, the rest.
func jsonStyle(th themes.Theme, line string) string {
	body := strings.TrimLeft(line, " ")
	pad := line[:len(line)-len(body)]
	key, val := "", body
	if strings.HasPrefix(body, `"`) {
		if i := strings.Index(body, `": `); i > 0 {
			key, val = body[:i+2], body[i+2:]
		}
	}
	styled := val
	v := strings.TrimLeft(val, " ")
	switch {
	case strings.HasPrefix(v, `"`):
		styled = th.Running.Render(val)
	case v != "" && strings.ContainsAny(v[:1], "-0123456789tfn"):
		styled = th.Warn.Render(val)
	}
	if key != "" {
		return pad + th.Title.Render(key) + styled
	}
	return pad + styled
}

// clipboardOut is the terminal; tests point it elsewhere.
var clipboardOut io.Writer = os.Stdout

// copyToClipboard hands text to the terminal's clipboard with OSC 52,
// which works over ssh and in tmux (its set-clipboard option); the sequence
// moves no cursor, so writing it beside the renderer is safe.
func copyToClipboard(text string) string {
	io.WriteString(clipboardOut, "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte(text))+"\a")
	return fmt.Sprintf("copied %d bytes to the clipboard (OSC 52)", len(text))
}
