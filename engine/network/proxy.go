package network

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// Proxy forwards published ports to a container: a listener per mapping on
// the host, a connection to the container's address per client. It lives
// in the container's monitor and ends with it.
type Proxy struct {
	mu        sync.Mutex
	listeners []io.Closer
	wg        sync.WaitGroup
	closed    bool
}

// Publish starts forwarding; mappings with port 0 get a free port, and the
// returned list holds the ports actually bound. A port already in use
// fails the whole call, naming it, with nothing left listening.
func Publish(maps []PortMapping, to net.IP) (*Proxy, []PortMapping, error) {
	p := &Proxy{}
	var out []PortMapping
	for _, m := range maps {
		addr := net.JoinHostPort(m.HostIP, strconv.Itoa(m.HostPort))
		target := net.JoinHostPort(to.String(), strconv.Itoa(m.ContainerPort))
		switch m.Proto {
		case "udp":
			pc, err := net.ListenPacket("udp4", addr)
			if err != nil {
				p.Close()
				return nil, nil, fmt.Errorf("publish %s: port %s is already in use or not available: %w", m, addr, err)
			}
			m.HostPort = pc.LocalAddr().(*net.UDPAddr).Port
			p.listeners = append(p.listeners, pc)
			p.wg.Add(1)
			go p.serveUDP(pc, target)
		default:
			ln, err := net.Listen("tcp4", addr)
			if err != nil {
				p.Close()
				return nil, nil, fmt.Errorf("publish %s: port %s is already in use or not available: %w", m, addr, err)
			}
			m.HostPort = ln.Addr().(*net.TCPAddr).Port
			p.listeners = append(p.listeners, ln)
			p.wg.Add(1)
			go p.serveTCP(ln, target)
		}
		out = append(out, m)
	}
	return p, out, nil
}

func (p *Proxy) serveTCP(ln net.Listener, target string) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			up, err := net.DialTimeout("tcp4", target, 5*time.Second)
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			go func() { io.Copy(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
			<-done
			<-done
		}()
	}
}

// serveUDP keeps one upstream socket per client address.
func (p *Proxy) serveUDP(pc net.PacketConn, target string) {
	defer p.wg.Done()
	var mu sync.Mutex
	flows := map[string]net.Conn{}
	buf := make([]byte, 64<<10)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			mu.Lock()
			for _, c := range flows {
				c.Close()
			}
			mu.Unlock()
			return
		}
		mu.Lock()
		up, ok := flows[from.String()]
		if !ok {
			up, err = net.Dial("udp4", target)
			if err != nil {
				mu.Unlock()
				continue
			}
			flows[from.String()] = up
			go func(from net.Addr, up net.Conn) {
				b := make([]byte, 64<<10)
				for {
					up.SetReadDeadline(time.Now().Add(2 * time.Minute))
					n, err := up.Read(b)
					if err != nil {
						mu.Lock()
						delete(flows, from.String())
						mu.Unlock()
						up.Close()
						return
					}
					pc.WriteTo(b[:n], from)
				}
			}(from, up)
		}
		mu.Unlock()
		up.Write(buf[:n])
	}
}

// Close stops listening.
func (p *Proxy) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	for _, l := range p.listeners {
		l.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
