package cgroups

import (
	"fmt"
	"os"
)

// New returns the cgroup called name ("berth/<id>") for this host. On v1
// each hierarchy's directory nests under this process's own cgroup, so the
// limits of whatever runs berth still apply; on v2 it sits under the root,
// the one place controllers can always be delegated from.
func New(l Layout, name string) (Cgroup, error) {
	switch l.Version {
	case V1, Hybrid:
		f, err := os.Open("/proc/self/cgroup")
		if err != nil {
			return nil, fmt.Errorf("cgroups: %w", err)
		}
		defer f.Close()
		return newV1(l, ownPaths(f), name), nil
	case V2:
		return newV2(l, name), nil
	}
	return nil, fmt.Errorf("cgroups: no usable hierarchy")
}

// Load reopens a cgroup from the paths a container record kept.
func Load(paths map[string]string) Cgroup {
	if d, ok := paths[""]; ok {
		return &v2{dir: d}
	}
	c := &v1{dirs: map[string]string{}}
	for k, v := range paths {
		c.dirs[k] = v
	}
	return c
}
