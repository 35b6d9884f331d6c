package tui

import (
	"os"
	"path/filepath"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/sys/unix"
)

// storeChangedMsg says another process (or this one) changed the store.
type storeChangedMsg struct{}

// watcher turns inotify events on the store (images.json, containers/ and
// each container's state.json) into one message per burst, so changes made
// by a CLI in another terminal show within a second, with no polling.
//
// The inotify descriptor lives in an os.File on the runtime's poller: close
// wakes the blocked read and the number is not reused while the read still
// holds it. With a raw descriptor, a close during the read let a file the
// tests opened take its number, and the loop parsed that file as events.
type watcher struct {
	f    *os.File
	root string
	ch   chan struct{}
	once sync.Once
}

func newWatcher(root string) *watcher {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil
	}
	w := &watcher{f: os.NewFile(uintptr(fd), "inotify"), root: root, ch: make(chan struct{}, 1)}
	const mask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE
	os.MkdirAll(filepath.Join(root, "containers"), 0o700)
	w.add(root, mask)
	w.add(filepath.Join(root, "containers"), mask)
	if ents, err := os.ReadDir(filepath.Join(root, "containers")); err == nil {
		for _, e := range ents {
			w.add(filepath.Join(root, "containers", e.Name()), unix.IN_MOVED_TO|unix.IN_CREATE)
		}
	}
	go w.loop()
	return w
}

// add watches path, through the file so a closed watcher adds nothing.
func (w *watcher) add(path string, mask uint32) {
	if rc, err := w.f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.InotifyAddWatch(int(fd), path, mask) })
	}
}

func (w *watcher) loop() {
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil || n <= 0 {
			return
		}
		// New container directories get a watch of their own.
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafePointer(&buf[off]))
			end := off + unix.SizeofInotifyEvent + int(ev.Len)
			if end > n {
				break // the kernel never splits an event; anything else is not ours
			}
			name := ""
			if ev.Len > 0 {
				b := buf[off+unix.SizeofInotifyEvent : end]
				for i, c := range b {
					if c == 0 {
						b = b[:i]
						break
					}
				}
				name = string(b)
			}
			if ev.Mask&unix.IN_ISDIR != 0 && ev.Mask&unix.IN_CREATE != 0 && len(name) == 64 {
				w.add(filepath.Join(w.root, "containers", name), unix.IN_MOVED_TO|unix.IN_CREATE)
			}
			off = end
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

// close stops the watcher; safe to call more than once, and on nil.
func (w *watcher) close() {
	if w != nil {
		w.once.Do(func() { w.f.Close() })
	}
}
