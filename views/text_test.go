package views

import (
	"fmt"
	"strings"
	"testing"

	"berth/themes"
)

func TestTextSearchAndFollow(t *testing.T) {
	var tx Text
	var lines []string
	for i := 0; i < 100000; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	tx.Follow = true
	tx.SetLines("Logs", lines, nil)
	out := tx.View(themes.Plain(), 40, 10)
	if !strings.Contains(out, "line 99999") || strings.Contains(out, "line 0\n") {
		t.Fatalf("follow should show the end:\n%s", out)
	}
	if n := tx.Search("line 5000"); n != 11 { // 5000 and 50000-50009
		t.Fatalf("%d matching lines", n)
	}
	if out := tx.View(themes.Plain(), 40, 10); !strings.Contains(out, "line 5000") {
		t.Fatalf("search did not jump:\n%s", out)
	}
	tx.Next(1)
	if out := tx.View(themes.Plain(), 40, 10); !strings.Contains(out, "line 50000") {
		t.Fatalf("next match:\n%s", out)
	}
	tx.Next(-1)
	if tx.offset != 5000 {
		t.Fatalf("previous match at %d", tx.offset)
	}
}

func BenchmarkTextView100k(b *testing.B) {
	var tx Text
	lines := make([]string, 100000)
	for i := range lines {
		lines[i] = fmt.Sprintf("2026-11-22T10:00:00Z line %d of a busy log with some words", i)
	}
	tx.Follow = true
	tx.SetLines("Logs", lines, nil)
	for b.Loop() {
		tx.View(themes.Dark(), 120, 40)
	}
}
