package tui

import (
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/sys/unix"
)

// storeChangedMsg says another process (or this one) changed the store.
type storeChangedMsg struct{}

// watcher turns inotify events on the store (images.json, containers/ and
// each container's state.json) into one message per burst, so changes made
// by a CLI in another terminal show within a second, with no polling.
type watcher struct {
	fd   int
	root string
	ch   chan struct{}
}

func newWatcher(root string) *watcher {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	w := &watcher{fd: fd, root: root, ch: make(chan struct{}, 1)}
	const mask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE
	os.MkdirAll(filepath.Join(root, "containers"), 0o700)
	unix.InotifyAddWatch(fd, root, mask)
	unix.InotifyAddWatch(fd, filepath.Join(root, "containers"), mask)
	if ents, err := os.ReadDir(filepath.Join(root, "containers")); err == nil {
		for _, e := range ents {
			unix.InotifyAddWatch(fd, filepath.Join(root, "containers", e.Name()), unix.IN_MOVED_TO|unix.IN_CREATE)
		}
	}
	go w.loop()
	return w
}

func (w *watcher) loop() {
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(w.fd, buf)
		if err != nil || n <= 0 {
			return
		}
		// New container directories get a watch of their own.
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafePointer(&buf[off]))
			name := ""
			if ev.Len > 0 {
				b := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
				for i, c := range b {
					if c == 0 {
						b = b[:i]
						break
					}
				}
				name = string(b)
			}
			if ev.Mask&unix.IN_ISDIR != 0 && ev.Mask&unix.IN_CREATE != 0 && len(name) == 64 {
				unix.InotifyAddWatch(w.fd, filepath.Join(w.root, "containers", name), unix.IN_MOVED_TO|unix.IN_CREATE)
			}
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
		select {
		case w.ch <- struct{}{}:
		default:
		}
	}
}

// wait is a tea.Cmd: the next change, debounced by 100 ms.
func (w *watcher) wait() tea.Msg {
	<-w.ch
	time.Sleep(100 * time.Millisecond)
	select {
	case <-w.ch:
	default:
	}
	return storeChangedMsg{}
}

func (w *watcher) close() {
	if w != nil {
		unix.Close(w.fd)
	}
}
