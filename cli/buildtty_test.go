package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/hinshun/vt10x"

	"berth/engine/build"
)

// The terminal view, replayed through a terminal emulator: finished steps
// stay with CACHED or their time, a running step shows its last lines, and
// the live area is gone once the build ends.
func TestBuildTTY(t *testing.T) {
	var out bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tty := newBuildTTY(&out, 60)
	tty.now = func() time.Time { return clock }
	tty.start = clock
	ev := func(kind build.EventKind, step int, text string, d time.Duration) {
		clock = clock.Add(d)
		tty.event(build.Event{Kind: kind, Stage: "app", Step: step, Steps: 3, Text: text, Elapsed: d})
	}
	ev(build.StepStart, 1, "FROM busybox", 0)
	ev(build.StepDone, 1, "", 10*time.Millisecond)
	ev(build.StepStart, 2, "COPY . /src", 0)
	ev(build.StepCached, 2, "", 0)
	ev(build.StepDone, 2, "", 0)
	ev(build.StepStart, 3, "RUN make", 0)
	for i := range 9 {
		ev(build.StepOutput, 3, "compiling part "+string(rune('a'+i)), 200*time.Millisecond)
	}
	screen := replay(out.Bytes())
	for _, want := range []string{" => [app 1/3] FROM busybox", " => CACHED [app 2/3] COPY . /src", " => [app 3/3] RUN make",
		" => => # compiling part i", "[+] Building 1.8s"} {
		if !strings.Contains(screen, want) {
			t.Errorf("running build lacks %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "compiling part c") {
		t.Errorf("more than the last %d output lines shown:\n%s", ttyTail, screen)
	}
	ev(build.StepDone, 3, "", 2*time.Second)
	tty.finish()
	screen = replay(out.Bytes())
	if strings.Contains(screen, "compiling") || strings.Contains(screen, "[+] Building") {
		t.Errorf("the live area stayed after the build:\n%s", screen)
	}
	if !strings.Contains(screen, " => [app 3/3] RUN make") || !strings.Contains(screen, "2.0s") {
		t.Errorf("finished build:\n%s", screen)
	}
}

func replay(b []byte) string {
	term := vt10x.New(vt10x.WithSize(60, 20))
	// A terminal turns \n into \r\n on output; the emulator wants both.
	term.Write(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
	return term.String()
}
