package engine

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// ParseBytes reads docker's memory sizes: 512, 32m, 1.5g (binary units).
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for suffix, m := range map[string]int64{"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40} {
		if strings.HasSuffix(t, suffix) || strings.HasSuffix(t, suffix+"b") || strings.HasSuffix(t, suffix+"ib") {
			t = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i"), suffix)
			mult = m
			break
		}
	}
	t = strings.TrimSuffix(t, "b")
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("invalid size %q: want a number with an optional k, m, g suffix", s)
	}
	return int64(f * float64(mult)), nil
}

// ParseVolume reads a -v value: /host:/ctr[:ro|rw], name:/ctr[:ro], or
// /ctr (an anonymous volume).
func ParseVolume(s string) (MountSpec, error) {
	parts := strings.Split(s, ":")
	bad := func(why string) (MountSpec, error) {
		return MountSpec{}, fmt.Errorf("invalid volume %q: %s", s, why)
	}
	var m MountSpec
	switch len(parts) {
	case 1:
		m = MountSpec{Type: "volume", Destination: parts[0]}
	case 2, 3:
		m = MountSpec{Source: parts[0], Destination: parts[1]}
		if len(parts) == 3 {
			for _, o := range strings.Split(parts[2], ",") {
				switch o {
				case "ro":
					m.ReadOnly = true
				case "rw", "z", "Z", "rprivate", "private", "rslave", "slave", "rshared", "shared", "nocopy":
				default:
					return bad("unknown option " + strconv.Quote(o))
				}
			}
		}
		if m.Source == "" {
			return bad("empty source")
		}
		if strings.HasPrefix(m.Source, "/") || strings.HasPrefix(m.Source, ".") {
			m.Type = "bind"
			abs, err := filepath.Abs(m.Source)
			if err != nil {
				return bad(err.Error())
			}
			m.Source = abs
		} else {
			m.Type = "volume"
			if !volumeNameRe.MatchString(m.Source) {
				return bad("volume names are [a-zA-Z0-9][a-zA-Z0-9_.-]*")
			}
		}
	default:
		return bad("want SOURCE:DEST[:OPTIONS]")
	}
	if !strings.HasPrefix(m.Destination, "/") {
		return bad("destination must be an absolute path")
	}
	if filepath.Clean(m.Destination) == "/" {
		return bad("cannot mount over /")
	}
	return m, nil
}

// ParseMount reads --mount type=bind,source=...,target=...[,readonly].
func ParseMount(s string) (MountSpec, error) {
	m := MountSpec{Type: "volume"}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "type":
			m.Type = v
		case "source", "src":
			m.Source = v
		case "target", "destination", "dst":
			m.Destination = v
		case "readonly", "ro":
			m.ReadOnly = v == "" || v == "true" || v == "1"
		case "tmpfs-size":
			m.Options = append(m.Options, "size="+v)
		case "tmpfs-mode":
			m.Options = append(m.Options, "mode="+v)
		default:
			return m, fmt.Errorf("invalid --mount %q: unknown key %q", s, k)
		}
	}
	switch m.Type {
	case "bind", "volume", "tmpfs":
	default:
		return m, fmt.Errorf("invalid --mount %q: type must be bind, volume or tmpfs", s)
	}
	if !strings.HasPrefix(m.Destination, "/") {
		return m, fmt.Errorf("invalid --mount %q: target must be an absolute path", s)
	}
	if m.Type == "bind" {
		if !strings.HasPrefix(m.Source, "/") {
			return m, fmt.Errorf("invalid --mount %q: bind source must be an absolute path", s)
		}
	}
	return m, nil
}

// ParseTmpfs reads --tmpfs /path[:options].
func ParseTmpfs(s string) (MountSpec, error) {
	dest, opts, _ := strings.Cut(s, ":")
	if !strings.HasPrefix(dest, "/") {
		return MountSpec{}, fmt.Errorf("invalid --tmpfs %q: path must be absolute", s)
	}
	m := MountSpec{Type: "tmpfs", Destination: dest}
	if opts != "" {
		m.Options = strings.Split(opts, ",")
	}
	return m, nil
}
