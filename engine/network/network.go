package network

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/vishvananda/netlink"

	"berth/engine/store"
)

// DefaultName is the network containers join unless told otherwise.
const DefaultName = "bridge"

// Network is networks/<name>.json.
type Network struct {
	Name    string
	ID      string
	Driver  string // bridge
	Bridge  string // the Linux bridge device
	Subnet  string // CIDR
	Gateway string
	Created time.Time
	Labels  map[string]string `json:",omitempty"`
	// IPs maps allocated addresses to container IDs.
	IPs map[string]string
}

// Manager keeps networks under the store.
type Manager struct {
	s *store.Store
}

// New opens the networks of a store.
func New(s *store.Store) *Manager { return &Manager{s: s} }

var nameRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$`)

func (m *Manager) path(name string) string { return m.s.Path("networks", name+".json") }

// update runs fn on network name under its lock and saves it.
func (m *Manager) update(name string, fn func(n *Network) error) (*Network, error) {
	unlock, err := m.s.Lock("network")
	if err != nil {
		return nil, err
	}
	defer unlock()
	n, err := m.get(name)
	if err != nil {
		return nil, err
	}
	if err := fn(n); err != nil {
		return nil, err
	}
	return n, m.save(n)
}

func (m *Manager) save(n *Network) error {
	b, err := json.MarshalIndent(n, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(m.s.Path("networks"), 0o700); err != nil {
		return err
	}
	return store.ReplaceFile(m.path(n.Name), b, 0o600)
}

func (m *Manager) get(name string) (*Network, error) {
	if !nameRe.MatchString(name) {
		return nil, fmt.Errorf("invalid network name %q", name)
	}
	b, err := os.ReadFile(m.path(name))
	if errors.Is(err, os.ErrNotExist) {
		if name == DefaultName {
			return m.createDefault()
		}
		return nil, fmt.Errorf("no such network: %s", name)
	}
	if err != nil {
		return nil, err
	}
	var n Network
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}
	if n.IPs == nil {
		n.IPs = map[string]string{}
	}
	return &n, nil
}

// Get returns a network (the default one is made on first use).
func (m *Manager) Get(name string) (*Network, error) {
	unlock, err := m.s.Lock("network")
	if err != nil {
		return nil, err
	}
	defer unlock()
	return m.get(name)
}

func (m *Manager) createDefault() (*Network, error) {
	subnet, err := m.freeSubnet()
	if err != nil {
		return nil, err
	}
	n := newNetwork(DefaultName, m.defaultBridge(), subnet, nil)
	return n, m.save(n)
}

// defaultBridge is berth0 for the system store; another store (a user's,
// a test's) gets its own, so two stores never share a bridge.
func (m *Manager) defaultBridge() string {
	if m.s.Root() == "/var/lib/berth" {
		return "berth0"
	}
	sum := sha256.Sum256([]byte(m.s.Root()))
	return "berth-" + hex.EncodeToString(sum[:])[:8]
}

func newNetwork(name, bridge string, subnet *net.IPNet, labels map[string]string) *Network {
	gw := make(net.IP, 4)
	copy(gw, subnet.IP.To4())
	gw[3] |= 1
	id := fmt.Sprintf("%x", time.Now().UnixNano())
	if bridge == "" {
		bridge = "br-" + id[len(id)-10:]
	}
	return &Network{Name: name, ID: id, Driver: "bridge", Bridge: bridge, Subnet: subnet.String(),
		Gateway: gw.String(), Created: time.Now().UTC(), Labels: labels, IPs: map[string]string{}}
}

// Create makes a user-defined network; subnet may be empty (one is picked).
func (m *Manager) Create(name, subnet string, labels map[string]string) (*Network, error) {
	if !nameRe.MatchString(name) || name == "host" || name == "none" {
		return nil, fmt.Errorf("invalid network name %q", name)
	}
	unlock, err := m.s.Lock("network")
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := os.Stat(m.path(name)); err == nil || name == DefaultName {
		return nil, fmt.Errorf("network %s already exists", name)
	}
	var sn *net.IPNet
	if subnet != "" {
		_, sn, err = net.ParseCIDR(subnet)
		if err != nil || sn.IP.To4() == nil {
			return nil, fmt.Errorf("invalid --subnet %q: want an IPv4 CIDR", subnet)
		}
		if ones, _ := sn.Mask.Size(); ones > 29 {
			return nil, fmt.Errorf("invalid --subnet %q: too small", subnet)
		}
		if m.overlaps(sn) {
			return nil, fmt.Errorf("subnet %s overlaps a network the host or berth already uses", subnet)
		}
	} else if sn, err = m.freeSubnet(); err != nil {
		return nil, err
	}
	n := newNetwork(name, "", sn, labels)
	return n, m.save(n)
}

// List returns every network, the default first.
func (m *Manager) List() ([]*Network, error) {
	if _, err := m.Get(DefaultName); err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(m.s.Path("networks", "*.json"))
	var out []*Network
	for _, f := range files {
		name := filepath.Base(f)
		if n, err := m.Get(name[:len(name)-5]); err == nil {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name == DefaultName || out[j].Name != DefaultName && out[i].Name < out[j].Name
	})
	return out, nil
}

// Remove deletes a network no container is attached to, and its bridge.
func (m *Manager) Remove(name string) error {
	if name == DefaultName {
		return fmt.Errorf("the default network %s cannot be removed", name)
	}
	unlock, err := m.s.Lock("network")
	if err != nil {
		return err
	}
	defer unlock()
	n, err := m.get(name)
	if err != nil {
		return err
	}
	if len(n.IPs) > 0 {
		return fmt.Errorf("network %s has %d container(s) attached: remove or disconnect them first", name, len(n.IPs))
	}
	if l, err := netlink.LinkByName(n.Bridge); err == nil {
		netlink.LinkDel(l)
	}
	return os.Remove(m.path(name))
}

// Teardown deletes the bridges of every network of this store (the store
// itself is going away: a test's temp root, `berth system reset`).
func (m *Manager) Teardown() {
	files, _ := filepath.Glob(m.s.Path("networks", "*.json"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var n Network
		if json.Unmarshal(b, &n) == nil {
			if l, err := netlink.LinkByName(n.Bridge); err == nil {
				netlink.LinkDel(l)
			}
		}
	}
}

// freeSubnet picks the first /24 in 198.18.0.0/15 that neither the host's
// routes nor another berth network use.
func (m *Manager) freeSubnet() (*net.IPNet, error) {
	for i := 0; i < 512; i++ {
		sn := &net.IPNet{IP: net.IPv4(198, 18+byte(i/256), byte(i%256), 0).To4(), Mask: net.CIDRMask(24, 32)}
		if !m.overlaps(sn) {
			return sn, nil
		}
	}
	return nil, errors.New("no free subnet left in 198.18.0.0/15")
}

func (m *Manager) overlaps(sn *net.IPNet) bool {
	routes, _ := netlink.RouteList(nil, netlink.FAMILY_V4)
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		if ones, _ := r.Dst.Mask.Size(); ones == 0 {
			continue // the default route covers everything and nothing
		}
		if r.Dst.Contains(sn.IP) || sn.Contains(r.Dst.IP) {
			if l, err := netlink.LinkByIndex(r.LinkIndex); err == nil && m.ownsBridge(l.Attrs().Name, sn) {
				continue // our own bridge's route for this very subnet
			}
			return true
		}
	}
	files, _ := filepath.Glob(m.s.Path("networks", "*.json"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var n Network
		if json.Unmarshal(b, &n) == nil {
			if _, other, err := net.ParseCIDR(n.Subnet); err == nil && (other.Contains(sn.IP) || sn.Contains(other.IP)) {
				return true
			}
		}
	}
	return false
}

func (m *Manager) ownsBridge(dev string, sn *net.IPNet) bool {
	files, _ := filepath.Glob(m.s.Path("networks", "*.json"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		var n Network
		if json.Unmarshal(b, &n) == nil && n.Bridge == dev && n.Subnet == sn.String() {
			return true
		}
	}
	return false
}

// Allocate gives containerID an address on the network (the one it had,
// if it still holds it).
func (m *Manager) Allocate(name, containerID string) (net.IP, error) {
	var ip net.IP
	_, err := m.update(name, func(n *Network) error {
		for a, id := range n.IPs {
			if id == containerID {
				ip = net.ParseIP(a)
				return nil
			}
		}
		_, sn, err := net.ParseCIDR(n.Subnet)
		if err != nil {
			return err
		}
		ones, bits := sn.Mask.Size()
		size := 1 << (bits - ones)
		base := ipToInt(sn.IP)
		for i := 2; i < size-1; i++ { // .0 network, .1 gateway, last broadcast
			cand := intToIP(base + uint32(i))
			if _, used := n.IPs[cand.String()]; !used {
				n.IPs[cand.String()] = containerID
				ip = cand
				return nil
			}
		}
		return fmt.Errorf("network %s: address pool %s is exhausted", name, n.Subnet)
	})
	return ip, err
}

// Release frees every address containerID holds on the network.
func (m *Manager) Release(name, containerID string) error {
	_, err := m.update(name, func(n *Network) error {
		for a, id := range n.IPs {
			if id == containerID {
				delete(n.IPs, a)
			}
		}
		return nil
	})
	return err
}

// Reconcile drops addresses held by containers that no longer exist
// (a crash between create and rm).
func (m *Manager) Reconcile(exists func(id string) bool) error {
	nets, err := m.List()
	if err != nil {
		return err
	}
	for _, n := range nets {
		if _, err := m.update(n.Name, func(n *Network) error {
			for a, id := range n.IPs {
				if !exists(id) {
					delete(n.IPs, a)
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func ipToInt(ip net.IP) uint32 {
	v := ip.To4()
	return uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3])
}

func intToIP(v uint32) net.IP { return net.IPv4(byte(v>>24), byte(v>>16), byte(v>>8), byte(v)).To4() }
