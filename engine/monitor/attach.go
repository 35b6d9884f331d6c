package monitor

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"berth/internal/unixsock"
)

// AttachSocket is served in the container's directory while it runs.
const AttachSocket = "attach.sock"

// Frames on the attach socket: a type byte, a big-endian uint32 length,
// the payload.
const (
	frameHello  byte = 'h' // client -> monitor: JSON hello
	frameStdin  byte = '0'
	frameStdout byte = '1'
	frameStderr byte = '2'
	frameResize byte = 'r' // client -> monitor: JSON {Rows, Cols}
	frameExit   byte = 'x' // monitor -> client: JSON {Code}
)

type hello struct {
	Stdin bool
}

// Winsize is a terminal size.
type Winsize struct{ Rows, Cols uint16 }

func writeFrame(w io.Writer, typ byte, p []byte) error {
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(p)))
	if _, err := w.Write(append(hdr[:], p...)); err != nil {
		return err
	}
	return nil
}

func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("attach: frame of %d bytes", n)
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return hdr[0], p, err
}

// hub fans container output out to attached clients.
type hub struct {
	mu      sync.Mutex
	clients map[*client]struct{}
}

type client struct {
	out  chan []byte // framed
	conn net.Conn
	done chan struct{} // closed when everything queued was written
}

func (h *hub) add(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.clients == nil {
		h.clients = map[*client]struct{}{}
	}
	h.clients[c] = struct{}{}
}

func (h *hub) remove(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.out)
	}
}

// flush ends every client after what was queued for it is written (the
// exit frame must reach them before the monitor process ends), waiting at
// most d.
func (h *hub) flush(d time.Duration) {
	h.mu.Lock()
	var waits []chan struct{}
	for c := range h.clients {
		close(c.out)
		waits = append(waits, c.done)
		delete(h.clients, c)
	}
	h.mu.Unlock()
	deadline := time.After(d)
	for _, w := range waits {
		select {
		case <-w:
		case <-deadline:
			return
		}
	}
}

// send frames p to every client; one that cannot keep up is dropped
// rather than slowing the container down.
func (h *hub) send(typ byte, p []byte) {
	var buf bytes.Buffer
	writeFrame(&buf, typ, p)
	b := buf.Bytes()
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.out <- b:
		default:
			delete(h.clients, c)
			close(c.out)
			c.conn.Close()
		}
	}
}

// Attach connects to a container's monitor: stdin (if not nil) goes in,
// output comes out, resizes are forwarded. It returns the exit code when
// the container exits, or detached=true when detachKeys were typed or stdin
// ended a terminal session.
func Attach(sock string, stdin io.Reader, stdout, stderr io.Writer, resize <-chan Winsize, detachKeys []byte) (code int, detached bool, err error) {
	conn, err := unixsock.Dial(sock)
	if err != nil {
		return 0, false, fmt.Errorf("attach: container is not running (%w)", err)
	}
	defer conn.Close()
	var wmu sync.Mutex
	send := func(typ byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return writeFrame(conn, typ, p)
	}
	h, _ := json.Marshal(hello{Stdin: stdin != nil})
	if err := send(frameHello, h); err != nil {
		return 0, false, err
	}
	detach := make(chan struct{})
	if stdin != nil {
		go func() {
			buf := make([]byte, 32<<10)
			matched := 0
			for {
				n, err := stdin.Read(buf)
				for i := 0; i < n && len(detachKeys) > 0; i++ {
					if buf[i] == detachKeys[matched] {
						matched++
						if matched == len(detachKeys) {
							close(detach)
							conn.CloseRead()
							return
						}
					} else {
						matched = 0
					}
				}
				if n > 0 && send(frameStdin, buf[:n]) != nil {
					return
				}
				if err != nil {
					send(frameStdin, nil) // EOF
					return
				}
			}
		}()
	}
	if resize != nil {
		go func() {
			for ws := range resize {
				b, _ := json.Marshal(ws)
				if send(frameResize, b) != nil {
					return
				}
			}
		}()
	}
	for {
		typ, p, err := readFrame(conn)
		if err != nil {
			select {
			case <-detach:
				return 0, true, nil
			default:
			}
			if errors.Is(err, io.EOF) {
				return 0, false, fmt.Errorf("attach: monitor closed the connection")
			}
			return 0, false, fmt.Errorf("attach: %w", err)
		}
		switch typ {
		case frameStdout:
			stdout.Write(p)
		case frameStderr:
			stderr.Write(p)
		case frameExit:
			var x struct{ Code int }
			json.Unmarshal(p, &x)
			return x.Code, false, nil
		}
	}
}
