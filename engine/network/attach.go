package network

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// hostMTU is the MTU of the interface holding the default route, so
// containers do not send packets the host must fragment.
func hostMTU() int {
	routes, _ := netlink.RouteList(nil, netlink.FAMILY_V4)
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil && l.Attrs().MTU > 0 {
				return l.Attrs().MTU
			}
		}
	}
	return 1500
}

// EnsureBridge creates the network's bridge (with the gateway address) if
// it is not there. The store's bridge lock is held throughout: without it a
// second berth starting a container at the same instant sees the bridge
// between its creation and its address and takes it for a stranger's.
func (m *Manager) EnsureBridge(n *Network) (netlink.Link, error) {
	unlock, err := m.s.Lock("bridge")
	if err != nil {
		return nil, fmt.Errorf("network %s: %w", n.Name, err)
	}
	defer unlock()
	return ensureBridge(n)
}

func ensureBridge(n *Network) (netlink.Link, error) {
	if l, err := netlink.LinkByName(n.Bridge); err == nil {
		// It must be this network's bridge, not a namesake with another subnet.
		addrs, _ := netlink.AddrList(l, netlink.FAMILY_V4)
		for _, a := range addrs {
			if a.IP.String() == n.Gateway {
				return l, nil
			}
		}
		return nil, fmt.Errorf("network %s: bridge %s exists without address %s: it belongs to something else", n.Name, n.Bridge, n.Gateway)
	}
	_, sn, _ := net.ParseCIDR(n.Subnet)
	routes, _ := netlink.RouteList(nil, netlink.FAMILY_V4)
	for _, r := range routes {
		if r.Dst != nil && r.Dst.String() == sn.String() {
			dev := "another interface"
			if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil {
				dev = l.Attrs().Name
			}
			return nil, fmt.Errorf("network %s: subnet %s is already routed to %s (another berth store?)", n.Name, n.Subnet, dev)
		}
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: n.Bridge, MTU: hostMTU()}}
	if err := netlink.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("network %s: create bridge %s: %w", n.Name, n.Bridge, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(n.Gateway).To4(), Mask: sn.Mask}}
	if err := netlink.AddrAdd(br, addr); err != nil {
		netlink.LinkDel(br)
		return nil, fmt.Errorf("network %s: address %s: %w", n.Name, n.Gateway, err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return nil, fmt.Errorf("network %s: bridge up: %w", n.Name, err)
	}
	return br, nil
}

// Attach wires the network namespace of pid into n: a veth pair, the host
// end on the bridge, the other end named ifname inside with ip; the first
// interface also gets the default route. When the namespace dies, the
// kernel removes both ends: nothing is left to clean up.
func (m *Manager) Attach(n *Network, pid int, ifname string, ip net.IP, defaultRoute bool) error {
	br, err := m.EnsureBridge(n)
	if err != nil {
		return err
	}
	mtu := br.Attrs().MTU
	hostName := hostEnd(pid, ifname)
	peerName := "vc" + strconv.FormatInt(int64(pid), 36) + ifname[len(ifname)-1:]
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostName, MTU: mtu, MasterIndex: br.Attrs().Index}, PeerName: peerName}
	if err := netlink.LinkAdd(veth); err != nil {
		return fmt.Errorf("network %s: veth: %w", n.Name, err)
	}
	fail := func(err error) error {
		if l, e := netlink.LinkByName(hostName); e == nil {
			netlink.LinkDel(l)
		}
		return err
	}
	host, err := netlink.LinkByName(hostName)
	if err != nil {
		return fail(err)
	}
	if err := netlink.LinkSetUp(host); err != nil {
		return fail(fmt.Errorf("network %s: veth up: %w", n.Name, err))
	}
	peer, err := netlink.LinkByName(peerName)
	if err != nil {
		return fail(err)
	}
	if err := netlink.LinkSetNsPid(peer, pid); err != nil {
		return fail(fmt.Errorf("network %s: move veth into the container: %w", n.Name, err))
	}
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return fail(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return fail(err)
	}
	defer h.Close()
	in, err := h.LinkByName(peerName)
	if err != nil {
		return fail(err)
	}
	if err := h.LinkSetName(in, ifname); err != nil {
		return fail(fmt.Errorf("network %s: name %s: %w", n.Name, ifname, err))
	}
	_, sn, _ := net.ParseCIDR(n.Subnet)
	if err := h.AddrAdd(in, &netlink.Addr{IPNet: &net.IPNet{IP: ip, Mask: sn.Mask}}); err != nil {
		return fail(fmt.Errorf("network %s: address %s: %w", n.Name, ip, err))
	}
	if err := h.LinkSetUp(in); err != nil {
		return fail(fmt.Errorf("network %s: up: %w", n.Name, err))
	}
	if defaultRoute {
		if err := h.RouteAdd(&netlink.Route{LinkIndex: in.Attrs().Index, Gw: net.ParseIP(n.Gateway)}); err != nil {
			return fail(fmt.Errorf("network %s: default route: %w", n.Name, err))
		}
	}
	return nil
}

// hostEnd names the host end of the veth for the container whose init is pid.
func hostEnd(pid int, ifname string) string {
	return "vb" + strconv.FormatInt(int64(pid), 36) + ifname[len(ifname)-1:]
}

// WaitGone waits, up to timeout, for the host ends of the n interfaces of
// the container whose init was pid to go. The kernel removes a veth after
// its namespace dies, asynchronously: waiting lets `rm` return with nothing
// of the container left on the host.
func WaitGone(pid, n int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for i := range n {
		for {
			if _, err := netlink.LinkByName(hostEnd(pid, "eth"+strconv.Itoa(i))); err != nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Detach removes the container's interface on n from a running container.
func Detach(pid int, ifname string) error {
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(ifname)
	if err != nil {
		return fmt.Errorf("no interface %s in the container", ifname)
	}
	return h.LinkDel(l)
}

// Stats reads a container's network counters (all interfaces but lo).
func Stats(pid int) (rxBytes, txBytes, rxPackets, txPackets uint64, err error) {
	ns, err := netns.GetFromPid(pid)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	for _, l := range links {
		if l.Attrs().Name == "lo" || l.Attrs().Statistics == nil {
			continue
		}
		s := l.Attrs().Statistics
		rxBytes += s.RxBytes
		txBytes += s.TxBytes
		rxPackets += s.RxPackets
		txPackets += s.TxPackets
	}
	return
}
