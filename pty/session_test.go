package pty

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

func TestSessionRunsAndRenders(t *testing.T) {
	s, err := Start(40, 10, func(slave *os.File) (int, error) {
		c := exec.Command("sh", "-c", `printf '\033[31mred\033[0m plain\n'; read x; echo "got $x"`)
		c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
		err := c.Run()
		return c.ProcessState.ExitCode(), err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.Screen(), "plain") {
		if time.Now().After(deadline) {
			t.Fatalf("screen: %q", s.Screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := s.Render(true); !strings.Contains(r, "\x1b[0;31;49mred") {
		t.Fatalf("red lost in render: %q", r[:60])
	}
	s.Write(KeyBytes(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("hi")}))
	s.Write(KeyBytes(tea.KeyMsg{Type: tea.KeyEnter}))
	<-s.Done
	if !strings.Contains(s.Screen(), "got hi") || s.Code != 0 {
		t.Fatalf("after input: %q code %d", s.Screen(), s.Code)
	}
	s.Resize(60, 20)
	if lines := strings.Count(s.Render(false), "\n"); lines != 19 {
		t.Fatalf("render after resize has %d lines", lines+1)
	}
}
