package build

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// stubs are the paths the runtime creates in a RUN's upper directory only
// to mount something on them (/proc on an image without it, /etc/hosts, a
// cache mount's target). They are berth's, not the step's: left out of the
// layer unless the step put something of its own there.
type stubs struct {
	paths []string // topmost missing component of each mount target
}

func mountStubs(dv view, mounts []specs.Mount) stubs {
	var s stubs
	for _, m := range mounts {
		rel := strings.Trim(path.Clean("/"+m.Destination), "/")
		cur := ""
		for _, part := range strings.Split(rel, "/") {
			cur = strings.TrimPrefix(cur+"/"+part, "/")
			if _, _, err := dv.lstat(cur); err != nil {
				s.paths = append(s.paths, cur)
				break
			}
		}
	}
	return s
}

// finish decides, after the step, which stubs are still only stubs: empty
// files, or directories holding nothing but directories.
func (s stubs) finish(upper string) func(rel string) bool {
	skip := map[string]bool{}
	for _, p := range s.paths {
		host := filepath.Join(upper, p)
		fi, err := os.Lstat(host)
		if err != nil {
			continue
		}
		if fi.Mode().IsRegular() && fi.Size() == 0 || fi.IsDir() && onlyDirs(host) {
			skip[p] = true
		}
	}
	// A directory copied up only to hold skipped stubs (etc/ for
	// etc/hosts) is not the step's change either.
	for changed := true; changed; {
		changed = false
		for p := range skip {
			dir := path.Dir(p)
			if dir == "." || skip[dir] {
				continue
			}
			ents, err := os.ReadDir(filepath.Join(upper, dir))
			if err != nil {
				continue
			}
			all := true
			for _, e := range ents {
				if !skip[path.Join(dir, e.Name())] {
					all = false
					break
				}
			}
			if all {
				skip[dir], changed = true, true
			}
		}
	}
	if len(skip) == 0 {
		return nil
	}
	return func(rel string) bool { return skip[rel] }
}

func onlyDirs(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if !e.IsDir() || !onlyDirs(filepath.Join(dir, e.Name())) {
			return false
		}
	}
	return true
}
