// Command shoot makes the README's screenshots from a real run: it starts
// berth in a tmux pane on a temporary store holding the fixtures, drives it
// with send-keys, reads the screen with capture-pane (escape sequences
// included), replays that through a terminal emulator and draws the cells
// into a PNG. Nothing is drawn by hand. `make screenshots` runs it.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"berth/internal/fixture"
)

var (
	berthBin = flag.String("berth", "./berth", "berth binary")
	outDir   = flag.String("out", "screenshots", "where PNGs go")
	cols     = flag.Int("cols", 150, "terminal width")
	rows     = flag.Int("rows", 30, "terminal height")
)

// shot is one screenshot: keys to send after start, then what must be on
// screen before capturing.
type shot struct {
	name  string
	keys  []string
	wait  string
	delay time.Duration // extra time for live data (stats samples)
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "shoot:", err)
		os.Exit(1)
	}
}

func run() error {
	bin, err := filepath.Abs(*berthBin)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "berth-shoot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "root")
	for name, mk := range map[string]func(string) error{"busybox": fixture.Busybox, "layers": fixture.Layers} {
		dir := filepath.Join(tmp, name)
		if err := mk(dir); err != nil {
			return err
		}
		if out, err := exec.Command(bin, "--root", root, "load", "-q", "-i", dir).CombinedOutput(); err != nil {
			return fmt.Errorf("load %s: %v: %s", name, err, out)
		}
	}
	if out, err := exec.Command(bin, "--root", root, "run", "-d", "--name", "web", "busybox", "sh", "-c",
		`i=0; while true; do echo "GET /index.html 200 $i"; i=$((i+1)); sleep 0.3; done`).CombinedOutput(); err != nil {
		return fmt.Errorf("run: %v: %s", err, out)
	}
	// A second container with CPU bursts gives the stats graphs a curve.
	if out, err := exec.Command(bin, "--root", root, "run", "-d", "--name", "busy", "busybox", "sh", "-c",
		`while true; do i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; sleep 1; done`).CombinedOutput(); err != nil {
		return fmt.Errorf("run: %v: %s", err, out)
	}
	defer func() {
		exec.Command(bin, "--root", root, "rm", "-f", "web", "busy").Run()
		exec.Command(bin, "--root", root, "__teardown-networks").Run()
	}()
	ctx := filepath.Join(tmp, "app")
	os.MkdirAll(filepath.Join(ctx, "src"), 0o755)
	os.WriteFile(filepath.Join(ctx, "src", "main.sh"), []byte("echo hello\n"), 0o755)
	os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM busybox AS base\nWORKDIR /app\nCOPY src/ ./\n"+
		"RUN for step in fetch compile link; do echo \"$step...\"; sleep 0.2; done\n"+
		"FROM base\nRUN ./main.sh > /app/out.txt\nCMD [\"cat\", \"/app/out.txt\"]\n"), 0o644)
	shots := []shot{
		{name: "images", wait: "berth/layers"},
		{name: "layers", keys: []string{"j", "L", "Enter", "a"}, wait: "image at layer"},
		{name: "build", keys: []string{"4", "b", ctx + " demo:1", "Enter"}, wait: "Successfully built"},
		{name: "logs", keys: []string{"2", "j", "Enter"}, wait: "GET /index.html"},
		{name: "stats", keys: []string{"2", "t"}, wait: "CPU %", delay: 20 * time.Second},
		{name: "shell", keys: []string{"2", "|", "s", "ls --color=always /", "Enter"}, wait: "proc", delay: 2 * time.Second},
	}
	for _, s := range shots {
		if err := take(bin, root, s); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

func tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", "berth-shoot"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func take(bin, root string, s shot) error {
	session := fmt.Sprintf("shot-%d", os.Getpid())
	cmd := fmt.Sprintf("env TERM=xterm-256color COLORTERM=truecolor %s --root %s", bin, root)
	if _, err := tmux("-f", "/dev/null", "new-session", "-d", "-s", session, "-x", fmt.Sprint(*cols), "-y", fmt.Sprint(*rows), cmd); err != nil {
		return err
	}
	defer tmux("kill-session", "-t", session)
	tmux("set-option", "-t", session, "status", "off")
	time.Sleep(700 * time.Millisecond)
	for _, k := range s.keys {
		if _, err := tmux("send-keys", "-t", session, k); err != nil {
			return err
		}
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(s.delay)
	var screen string
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := tmux("capture-pane", "-t", session, "-p", "-e")
		if err != nil {
			return err
		}
		if strings.Contains(out, s.wait) {
			screen = out
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%q never appeared on screen:\n%s", s.wait, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	png := filepath.Join(*outDir, s.name+".png")
	if err := renderPNG(screen, *cols, *rows, png); err != nil {
		return err
	}
	fmt.Println(png)
	return nil
}
