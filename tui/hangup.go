package tui

import (
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/sys/unix"
)

// quitOnHangup ends the program when its terminal goes away. SIGHUP does
// that too, unless the user started berth with it ignored (nohup); bubbletea
// v1 then just stops reading at end of input and the program would run on
// with no one to see it. Polling for no events reports only hangups and
// errors, so it takes no keystrokes from the program.
func quitOnHangup(p *tea.Program) {
	fds := []unix.PollFd{{Fd: int32(os.Stdin.Fd())}}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil || fds[0].Revents&unix.POLLNVAL != 0 {
			return // nothing to watch: not a reason to quit
		}
		if fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
			p.Kill()
			return
		}
	}
}
