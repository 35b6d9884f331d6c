package cgroups

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Version is the cgroup mode of a host.
type Version int

const (
	V1     Version = 1
	V2     Version = 2
	Hybrid Version = 3 // v1 controllers beside a cgroup2 mount
)

func (v Version) String() string {
	switch v {
	case V1:
		return "v1"
	case V2:
		return "v2"
	case Hybrid:
		return "hybrid"
	}
	return "none"
}

// Layout is where the hierarchies are mounted.
type Layout struct {
	Version Version
	Unified string            // cgroup2 mount point, "" if none
	V1      map[string]string // controller -> mount point
}

// ParseMountinfo reads the cgroup mounts out of a mountinfo file.
func ParseMountinfo(r io.Reader) (Layout, error) {
	l := Layout{V1: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		mnt := unescape(f[4])
		switch g[0] {
		case "cgroup2":
			if l.Unified == "" || mnt == "/sys/fs/cgroup" {
				l.Unified = mnt
			}
		case "cgroup":
			for _, opt := range strings.Split(g[2], ",") {
				switch opt {
				case "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc":
					if _, seen := l.V1[opt]; !seen {
						l.V1[opt] = mnt
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return l, fmt.Errorf("read mountinfo: %w", err)
	}
	switch {
	case len(l.V1) > 0 && l.Unified != "":
		l.Version = Hybrid
	case len(l.V1) > 0:
		l.Version = V1
	case l.Unified != "":
		l.Version = V2
	default:
		return l, fmt.Errorf("no cgroup hierarchy is mounted")
	}
	return l, nil
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Detect reads this host's layout.
func Detect() (Layout, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return Layout{}, fmt.Errorf("detect cgroups: %w", err)
	}
	defer f.Close()
	return ParseMountinfo(f)
}

// ownPaths reads /proc/self/cgroup: controller -> this process's path
// ("" key for the v2 entry).
func ownPaths(r io.Reader) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}
