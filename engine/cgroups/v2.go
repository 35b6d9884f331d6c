package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// v2 is one directory in the unified hierarchy.
type v2 struct {
	mnt, dir string
}

func newV2(l Layout, name string) *v2 {
	return &v2{mnt: l.Unified, dir: filepath.Join(l.Unified, name)}
}

func (c *v2) Paths() map[string]string { return map[string]string{"": c.dir} }

var v2Controllers = []string{"cpu", "cpuset", "memory", "pids", "io"}

// enable turns on, for every level from the mount down to dir's parent, the
// controllers dir needs: a v2 controller works only where its parent
// delegates it.
func (c *v2) enable() error {
	rel, err := filepath.Rel(c.mnt, filepath.Dir(c.dir))
	if err != nil {
		return err
	}
	level := c.mnt
	parts := []string{""}
	if rel != "." {
		parts = append(parts, strings.Split(rel, string(filepath.Separator))...)
	}
	for _, p := range parts {
		level = filepath.Join(level, p)
		if err := os.MkdirAll(level, 0o755); err != nil {
			return fmt.Errorf("cgroup %s: %w", level, err)
		}
		avail, err := os.ReadFile(filepath.Join(level, "cgroup.controllers"))
		if err != nil {
			return fmt.Errorf("cgroup %s: %w", level, err)
		}
		var want []string
		for _, ctrl := range v2Controllers {
			if strings.Contains(" "+strings.TrimSpace(string(avail))+" ", " "+ctrl+" ") {
				want = append(want, "+"+ctrl)
			}
		}
		if len(want) > 0 {
			if err := write(level, "cgroup.subtree_control", strings.Join(want, " ")); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *v2) Create(r Resources) error {
	if err := c.enable(); err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup %s: %w", c.dir, err)
	}
	var sets [][2]string
	if r.Memory > 0 {
		sets = append(sets, [2]string{"memory.max", strconv.FormatInt(r.Memory, 10)})
		switch {
		case r.MemorySwap == -1:
			sets = append(sets, [2]string{"memory.swap.max", "max"})
		case r.MemorySwap > r.Memory:
			sets = append(sets, [2]string{"memory.swap.max", strconv.FormatInt(r.MemorySwap-r.Memory, 10)})
		case r.MemorySwap == 0:
			sets = append(sets, [2]string{"memory.swap.max", strconv.FormatInt(r.Memory, 10)})
		}
	}
	if r.CPUQuota > 0 || r.CPUPeriod > 0 {
		quota, period := "max", r.CPUPeriod
		if r.CPUQuota > 0 {
			quota = strconv.FormatInt(r.CPUQuota, 10)
		}
		if period == 0 {
			period = 100000
		}
		sets = append(sets, [2]string{"cpu.max", fmt.Sprintf("%s %d", quota, period)})
	}
	if w := sharesToWeight(r.CPUShares); w > 0 {
		sets = append(sets, [2]string{"cpu.weight", strconv.FormatUint(w, 10)})
	}
	if r.CPUsetCPUs != "" {
		sets = append(sets, [2]string{"cpuset.cpus", r.CPUsetCPUs})
	}
	if r.CPUsetMems != "" {
		sets = append(sets, [2]string{"cpuset.mems", r.CPUsetMems})
	}
	if r.PidsLimit > 0 {
		sets = append(sets, [2]string{"pids.max", strconv.FormatInt(r.PidsLimit, 10)})
	}
	if r.BlkioWeight > 0 {
		sets = append(sets, [2]string{"io.weight", fmt.Sprintf("default %d", r.BlkioWeight)})
	}
	for _, s := range sets {
		if err := write(c.dir, s[0], s[1]); err != nil {
			return err
		}
	}
	return nil
}

func (c *v2) AddProc(pid int) error { return write(c.dir, "cgroup.procs", strconv.Itoa(pid)) }

func (c *v2) Procs() ([]int, error) { return readProcs(c.dir) }

func (c *v2) Stats() (*Stats, error) {
	s := &Stats{}
	avail, err := os.ReadFile(filepath.Join(c.dir, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", c.dir, err)
	}
	has := func(ctrl string) bool {
		return strings.Contains(" "+strings.TrimSpace(string(avail))+" ", " "+ctrl+" ")
	}
	// cpu.stat's usage is there even without the cpu controller.
	if kv, err := readKV(c.dir, "cpu.stat"); err == nil {
		s.CPU.UsageNS = kv["usage_usec"] * 1000
		s.CPU.ThrottledPeriods = kv["nr_throttled"]
		s.CPU.ThrottledNS = kv["throttled_usec"] * 1000
	}
	if has("memory") {
		s.Memory.Usage, _ = readUint(c.dir, "memory.current")
		s.Memory.Limit, _ = readUint(c.dir, "memory.max")
		if kv, err := readKV(c.dir, "memory.stat"); err == nil {
			s.Memory.Cache = kv["inactive_file"]
		}
		if kv, err := readKV(c.dir, "memory.events"); err == nil {
			s.Memory.OOMKills = kv["oom_kill"]
		}
		s.Memory.WorkingSet = s.Memory.Usage
		if s.Memory.Cache < s.Memory.Usage {
			s.Memory.WorkingSet = s.Memory.Usage - s.Memory.Cache
		}
	} else {
		s.Missing = append(s.Missing, "memory")
	}
	if has("pids") {
		s.Pids.Current, _ = readUint(c.dir, "pids.current")
		s.Pids.Limit, _ = readUint(c.dir, "pids.max")
	} else {
		s.Missing = append(s.Missing, "pids")
	}
	if has("io") {
		s.IO.ReadBytes, s.IO.WriteBytes = ioStat(filepath.Join(c.dir, "io.stat"))
	} else {
		s.Missing = append(s.Missing, "io")
	}
	return s, nil
}

// ioStat sums rbytes= and wbytes= over devices.
func ioStat(file string) (r, w uint64) {
	f, err := os.Open(file)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, field := range strings.Fields(sc.Text()) {
			k, v, ok := strings.Cut(field, "=")
			if !ok {
				continue
			}
			n, _ := strconv.ParseUint(v, 10, 64)
			switch k {
			case "rbytes":
				r += n
			case "wbytes":
				w += n
			}
		}
	}
	return r, w
}

func (c *v2) Freeze() error { return write(c.dir, "cgroup.freeze", "1") }
func (c *v2) Thaw() error   { return write(c.dir, "cgroup.freeze", "0") }

func (c *v2) Delete() error {
	var err error
	for i := 0; i < 500; i++ {
		if err = removeDir(c.dir); err == nil {
			return nil
		}
		time.Sleep(time.Millisecond)
	}
	return errors.Join(err)
}
