package monitor

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestLogRotationKeepsNewest(t *testing.T) {
	dir := t.TempDir()
	old := MaxLogSize
	MaxLogSize = 4096
	defer func() { MaxLogSize = old }()
	w, err := openLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		w.write("stdout", []byte(fmt.Sprintf("line %d\npartial", i)))
	}
	w.close()
	if fi, err := os.Stat(filepath.Join(dir, LogFile)); err != nil || fi.Size() > 2*MaxLogSize {
		t.Fatalf("log not rotated: %v", fi)
	}
	if _, err := os.Stat(filepath.Join(dir, LogFile+".1")); err != nil {
		t.Fatal("no rotated file")
	}
	var last LogEntry
	n := 0
	ReadLogs(dir, func(e LogEntry) error { last = e; n++; return nil })
	if last.Log != "partial" || n == 0 || n >= 400 {
		t.Fatalf("read %d entries, last %+v", n, last)
	}
}
