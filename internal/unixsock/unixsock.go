// Package unixsock listens on and dials unix sockets whose paths may be
// longer than the 108 bytes sockaddr_un holds (a store in a deep temp dir):
// such paths are reached through /proc/self/fd/N/NAME, N being the socket's
// directory opened first.
package unixsock

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
)

const maxPath = 100

func short(path string, fn func(p string) error) error {
	if len(path) < maxPath {
		return fn(path)
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return fn(fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), filepath.Base(path)))
}

// Listen listens on path.
func Listen(path string) (*net.UnixListener, error) {
	var ln *net.UnixListener
	err := short(path, func(p string) error {
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
		if err != nil {
			return err
		}
		l.SetUnlinkOnClose(false)
		ln = l
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	return ln, nil
}

// Dial connects to path.
func Dial(path string) (*net.UnixConn, error) {
	var c *net.UnixConn
	err := short(path, func(p string) error {
		conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: p, Net: "unix"})
		c = conn
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
