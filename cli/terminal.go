package cli

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"berth/engine/monitor"
)

// rawTerminal puts stdin in raw mode when it is a terminal and returns the
// restore function, the current size and a channel of later sizes.
func rawTerminal(in *os.File) (restore func(), size *monitor.Winsize, resize <-chan monitor.Winsize) {
	fd := int(in.Fd())
	if !term.IsTerminal(fd) {
		return func() {}, nil, nil
	}
	state, err := term.MakeRaw(fd)
	if err != nil {
		return func() {}, nil, nil
	}
	ch := make(chan monitor.Winsize, 4)
	get := func() *monitor.Winsize {
		w, h, err := term.GetSize(fd)
		if err != nil {
			return nil
		}
		return &monitor.Winsize{Rows: uint16(h), Cols: uint16(w)}
	}
	winch := make(chan os.Signal, 4)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for range winch {
			if ws := get(); ws != nil {
				select {
				case ch <- *ws:
				default:
				}
			}
		}
	}()
	return func() {
		signal.Stop(winch)
		term.Restore(fd, state)
	}, get(), ch
}
