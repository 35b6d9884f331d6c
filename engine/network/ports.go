package network

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// PortMapping is one -p: host address and port to container port.
type PortMapping struct {
	HostIP        string
	HostPort      int // 0: pick one
	ContainerPort int
	Proto         string // tcp, udp
}

func (p PortMapping) String() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return fmt.Sprintf("%s:%d->%d/%s", ip, p.HostPort, p.ContainerPort, p.Proto)
}

// ParsePublish reads -p [ip:][hostPort:]containerPort[/proto], with port
// ranges (8000-8002:8000-8002).
func ParsePublish(s string) ([]PortMapping, error) {
	bad := func(why string) ([]PortMapping, error) { return nil, fmt.Errorf("invalid -p %q: %s", s, why) }
	spec, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return bad("protocol must be tcp or udp")
	}
	var ip, hostPart, ctrPart string
	parts := strings.Split(spec, ":")
	switch len(parts) {
	case 1:
		ctrPart = parts[0]
	case 2:
		hostPart, ctrPart = parts[0], parts[1]
	case 3:
		ip, hostPart, ctrPart = parts[0], parts[1], parts[2]
		if net.ParseIP(ip) == nil || net.ParseIP(ip).To4() == nil {
			return bad("host address must be IPv4")
		}
	default:
		return bad("want [ip:][hostPort:]containerPort[/proto]")
	}
	cLo, cHi, err := portRange(ctrPart)
	if err != nil {
		return bad(err.Error())
	}
	hLo, hHi := 0, 0
	if hostPart != "" {
		if hLo, hHi, err = portRange(hostPart); err != nil {
			return bad(err.Error())
		}
		if hHi-hLo != cHi-cLo {
			return bad("host and container port ranges differ in size")
		}
	}
	var out []PortMapping
	for i := 0; i <= cHi-cLo; i++ {
		m := PortMapping{HostIP: ip, ContainerPort: cLo + i, Proto: proto}
		if hostPart != "" {
			m.HostPort = hLo + i
		}
		out = append(out, m)
	}
	return out, nil
}

func portRange(s string) (int, int, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := strconv.Atoi(lo)
	if err != nil || a < 1 || a > 65535 {
		return 0, 0, fmt.Errorf("port %q is not in 1-65535", lo)
	}
	if !isRange {
		return a, a, nil
	}
	b, err := strconv.Atoi(hi)
	if err != nil || b < a || b > 65535 {
		return 0, 0, fmt.Errorf("port range %q is not valid", s)
	}
	return a, b, nil
}
