package engine

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"berth/engine/network"
)

// Networks is the engine's network manager.
func (e *Engine) Networks() *network.Manager { return network.New(e.Store) }

// netMode splits a NetworkMode into kind and target.
func netMode(mode string) (kind, target string) {
	switch {
	case mode == "" || mode == "bridge" || mode == "default":
		return "bridge", network.DefaultName
	case mode == "none" || mode == "host":
		return mode, ""
	case strings.HasPrefix(mode, "container:"):
		return "container", strings.TrimPrefix(mode, "container:")
	}
	return "bridge", mode
}

// allocateNetworks gives a new container its endpoint on its network.
func (e *Engine) allocateNetworks(id string, h *HostConfig, aliases []string) (map[string]Endpoint, error) {
	kind, name := netMode(h.NetworkMode)
	if kind != "bridge" {
		if len(h.PortBindings) > 0 || h.PublishAll {
			return nil, fmt.Errorf("published ports need a bridge network, not --network %s", h.NetworkMode)
		}
		return nil, nil
	}
	ip, err := e.Networks().Allocate(name, id)
	if err != nil {
		return nil, err
	}
	return map[string]Endpoint{name: {IP: ip.String(), Aliases: aliases}}, nil
}

// releaseNetworks frees a removed container's addresses.
func (e *Engine) releaseNetworks(ci ContainerInfo) {
	for name := range ci.Record.Networks {
		e.Networks().Release(name, ci.Record.ID)
		e.refreshPeers(name, ci.Record.ID)
	}
}

// sortedEndpoints orders a container's networks: its primary network
// (its NetworkMode) first, which gets eth0 and the default route.
func sortedEndpoints(r ContainerRecord) []string {
	_, primary := netMode(r.Host.NetworkMode)
	var names []string
	for n := range r.Networks {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return names[i] == primary || names[j] != primary && names[i] < names[j]
	})
	return names
}

// prestart wires the container's interfaces and published ports once its
// namespaces exist.
func (e *Engine) prestart(ci ContainerInfo) func(pid int) ([]string, func(), error) {
	return func(pid int) ([]string, func(), error) {
		r := ci.Record
		var primaryIP net.IP
		for i, name := range sortedEndpoints(r) {
			n, err := e.Networks().Get(name)
			if err != nil {
				return nil, nil, err
			}
			ip := net.ParseIP(r.Networks[name].IP)
			if i == 0 {
				primaryIP = ip
			}
			if err := e.Networks().Attach(n, pid, "eth"+strconv.Itoa(i), ip, i == 0); err != nil {
				return nil, nil, err
			}
		}
		maps := append([]network.PortMapping(nil), r.Host.PortBindings...)
		if r.Host.PublishAll {
			for _, p := range r.Host.ExposedPorts {
				port, proto, _ := strings.Cut(p, "/")
				n, err := strconv.Atoi(port)
				if err != nil {
					continue
				}
				if proto == "" {
					proto = "tcp"
				}
				maps = append(maps, network.PortMapping{ContainerPort: n, Proto: proto})
			}
		}
		var proxy *network.Proxy
		var ports []string
		if len(maps) > 0 {
			p, bound, err := network.Publish(maps, primaryIP)
			if err != nil {
				return nil, nil, err
			}
			proxy = p
			for _, b := range bound {
				ports = append(ports, b.String())
			}
		}
		for name := range r.Networks {
			e.refreshPeers(name, "")
		}
		return ports, func() {
			proxy.Close()
			for name := range r.Networks {
				e.refreshPeers(name, r.ID)
			}
		}, nil
	}
}

// hostsFile is a container's /etc/hosts: itself, and on user-defined
// networks every running container there by name and alias (the default
// bridge, as docker's, resolves no names).
func (e *Engine) hostsFile(r ContainerRecord, hostname string, skip string) string {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	own := false
	for _, name := range sortedEndpoints(r) {
		ep := r.Networks[name]
		if !own {
			fmt.Fprintf(&b, "%s\t%s %s\n", ep.IP, hostname, r.Name)
			own = true
		}
		if name == network.DefaultName {
			continue
		}
		cs, _ := e.Containers()
		for _, c := range cs {
			if c.Record.ID == r.ID || c.Record.ID == skip || !running(c.State) {
				continue
			}
			if pe, ok := c.Record.Networks[name]; ok {
				fmt.Fprintf(&b, "%s\t%s %s\n", pe.IP, c.Record.Name, strings.Join(append(append([]string{}, pe.Aliases...), c.Record.ID[:12]), " "))
			}
		}
	}
	if !own {
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", hostname)
	}
	return b.String()
}

// refreshPeers rewrites /etc/hosts of the running containers on a network
// (in place: the file is bind-mounted, so the same inode must change).
func (e *Engine) refreshPeers(name, skip string) {
	if name == network.DefaultName {
		return
	}
	cs, _ := e.Containers()
	for _, c := range cs {
		if _, ok := c.Record.Networks[name]; !ok || c.Record.ID == skip || !running(c.State) {
			continue
		}
		p := filepath.Join(e.containerDir(c.Record.ID), "hosts")
		if f, err := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0o644); err == nil {
			f.WriteString(e.hostsFile(c.Record, hostnameOf(c.Record), skip))
			f.Close()
		}
	}
}

func hostnameOf(r ContainerRecord) string {
	if r.Config.Hostname != "" {
		return r.Config.Hostname
	}
	return r.ID[:12]
}

// Ports lists a container's published ports.
func (e *Engine) Ports(ref string) ([]string, error) {
	ci, err := e.Container(ref)
	if err != nil {
		return nil, err
	}
	if !running(ci.State) {
		return nil, nil
	}
	return ci.State.Ports, nil
}

// ConnectNetwork adds a container to a network, live if it runs.
func (e *Engine) ConnectNetwork(netName, ref string, aliases []string) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	if kind, _ := netMode(ci.Record.Host.NetworkMode); kind != "bridge" {
		return fmt.Errorf("container %s uses --network %s: it cannot join other networks", ci.Record.Name, ci.Record.Host.NetworkMode)
	}
	if _, ok := ci.Record.Networks[netName]; ok {
		return fmt.Errorf("container %s is already on network %s", ci.Record.Name, netName)
	}
	n, err := e.Networks().Get(netName)
	if err != nil {
		return err
	}
	ip, err := e.Networks().Allocate(netName, ci.Record.ID)
	if err != nil {
		return err
	}
	if ci.Record.Networks == nil {
		ci.Record.Networks = map[string]Endpoint{}
	}
	ci.Record.Networks[netName] = Endpoint{IP: ip.String(), Aliases: aliases}
	if running(ci.State) && ci.State.Pid > 0 {
		if err := e.Networks().Attach(n, ci.State.Pid, "eth"+strconv.Itoa(len(ci.Record.Networks)-1), ip, false); err != nil {
			e.Networks().Release(netName, ci.Record.ID)
			return err
		}
	}
	if err := e.writeRecord(ci.Record); err != nil {
		return err
	}
	e.refreshPeers(netName, "")
	return nil
}

// DisconnectNetwork removes a container from a network.
func (e *Engine) DisconnectNetwork(netName, ref string) error {
	ci, err := e.Container(ref)
	if err != nil {
		return err
	}
	if _, ok := ci.Record.Networks[netName]; !ok {
		return fmt.Errorf("container %s is not on network %s", ci.Record.Name, netName)
	}
	if running(ci.State) && ci.State.Pid > 0 {
		for i, name := range sortedEndpoints(ci.Record) {
			if name == netName {
				network.Detach(ci.State.Pid, "eth"+strconv.Itoa(i))
			}
		}
	}
	delete(ci.Record.Networks, netName)
	if err := e.writeRecord(ci.Record); err != nil {
		return err
	}
	e.Networks().Release(netName, ci.Record.ID)
	e.refreshPeers(netName, "")
	return nil
}

// RemoveNetwork deletes a network after dropping addresses of containers
// that no longer exist.
func (e *Engine) RemoveNetwork(name string) error {
	e.reconcileNetworks()
	return e.Networks().Remove(name)
}

func (e *Engine) reconcileNetworks() {
	e.Networks().Reconcile(func(id string) bool {
		_, err := os.Stat(filepath.Join(e.containerDir(id), ContainerRecordFile))
		return err == nil
	})
}

// PruneNetworks removes user-defined networks no container uses.
func (e *Engine) PruneNetworks() ([]string, error) {
	e.reconcileNetworks()
	nets, err := e.Networks().List()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range nets {
		if n.Name == network.DefaultName || len(n.IPs) > 0 {
			continue
		}
		if err := e.Networks().Remove(n.Name); err == nil {
			out = append(out, n.Name)
		}
	}
	return out, nil
}
