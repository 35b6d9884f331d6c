package monitor

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// LogFile is ctr.log: one JSON object per line, as docker's json-file
// driver writes: {"log":"text\n","stream":"stdout","time":"..."}.
const LogFile = "ctr.log"

// MaxLogSize rotates the log: ctr.log moves to ctr.log.1 past this size.
var MaxLogSize int64 = 10 << 20

// LogEntry is one line of output.
type LogEntry struct {
	Log    string    `json:"log"`
	Stream string    `json:"stream"`
	Time   time.Time `json:"time"`
}

type logWriter struct {
	mu   sync.Mutex
	dir  string
	f    *os.File
	size int64
}

func openLog(dir string) (*logWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	fi, _ := f.Stat()
	return &logWriter{dir: dir, f: f, size: fi.Size()}, nil
}

// write records p split into lines (a partial last line stays one entry).
func (w *logWriter) write(stream string, p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now().UTC()
	for len(p) > 0 {
		n := len(p)
		for i, c := range p {
			if c == '\n' {
				n = i + 1
				break
			}
		}
		b, _ := json.Marshal(LogEntry{Log: string(p[:n]), Stream: stream, Time: now})
		b = append(b, '\n')
		w.f.Write(b)
		w.size += int64(len(b))
		p = p[n:]
	}
	if w.size > MaxLogSize {
		w.f.Close()
		os.Rename(filepath.Join(w.dir, LogFile), filepath.Join(w.dir, LogFile+".1"))
		w.f, _ = os.OpenFile(filepath.Join(w.dir, LogFile), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		w.size = 0
	}
}

func (w *logWriter) close() { w.f.Close() }

// ReadLogs calls fn for every entry, oldest first (rotated file included).
func ReadLogs(dir string, fn func(LogEntry) error) (offset int64, err error) {
	for _, name := range []string{LogFile + ".1", LogFile} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		n, err := scanLog(f, fn)
		f.Close()
		if err != nil {
			return 0, err
		}
		if name == LogFile {
			offset = n
		}
	}
	return offset, nil
}

func scanLog(r io.Reader, fn func(LogEntry) error) (int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var n int64
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			n += int64(len(line))
			var e LogEntry
			if json.Unmarshal(line, &e) == nil {
				if ferr := fn(e); ferr != nil {
					return n, ferr
				}
			}
		}
		if err != nil {
			return n, nil
		}
	}
}

// FollowLogs calls fn for entries appended after offset until stop is
// closed, then drains what is left.
func FollowLogs(dir string, offset int64, stop <-chan struct{}, fn func(LogEntry) error) error {
	p := filepath.Join(dir, LogFile)
	for {
		stopped := false
		select {
		case <-stop:
			stopped = true
		case <-time.After(100 * time.Millisecond):
		}
		f, err := os.Open(p)
		if err == nil {
			if fi, _ := f.Stat(); fi != nil && fi.Size() < offset {
				offset = 0 // rotated
			}
			f.Seek(offset, io.SeekStart)
			n, ferr := scanLog(f, fn)
			f.Close()
			offset += n
			if ferr != nil {
				return ferr
			}
		}
		if stopped {
			return nil
		}
	}
}
