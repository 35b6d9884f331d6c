package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// v1 is one directory per controller hierarchy.
type v1 struct {
	dirs map[string]string // controller -> directory
}

// controllers berth limits or reads; others are left alone.
var v1Controllers = []string{"cpu", "cpuacct", "cpuset", "memory", "pids", "blkio", "freezer"}

func newV1(l Layout, own map[string]string, name string) *v1 {
	c := &v1{dirs: map[string]string{}}
	for _, ctrl := range v1Controllers {
		mnt, ok := l.V1[ctrl]
		if !ok {
			continue
		}
		c.dirs[ctrl] = filepath.Join(mnt, own[ctrl], name)
	}
	return c
}

func (c *v1) Paths() map[string]string { return c.dirs }

// uniqueDirs: cpu and cpuacct are often one hierarchy mounted twice.
func (c *v1) uniqueDirs() []string {
	seen := map[string]bool{}
	var out []string
	for _, ctrl := range v1Controllers {
		d, ok := c.dirs[ctrl]
		if !ok {
			continue
		}
		if real, err := filepath.EvalSymlinks(filepath.Dir(d)); err == nil {
			if seen[real] {
				continue
			}
			seen[real] = true
		}
		out = append(out, d)
	}
	return out
}

func (c *v1) Create(r Resources) error {
	for _, d := range c.uniqueDirs() {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create cgroup %s: %w", d, err)
		}
	}
	if d, ok := c.dirs["cpuset"]; ok {
		if err := fillCpuset(d, r.CPUsetCPUs, r.CPUsetMems); err != nil {
			return err
		}
	}
	if d, ok := c.dirs["memory"]; ok && r.Memory > 0 {
		if err := write(d, "memory.limit_in_bytes", strconv.FormatInt(r.Memory, 10)); err != nil {
			return err
		}
		swap := r.MemorySwap
		if swap == 0 {
			swap = 2 * r.Memory // docker's default: as much swap as memory
		}
		if _, err := os.Stat(filepath.Join(d, "memory.memsw.limit_in_bytes")); err == nil {
			if err := write(d, "memory.memsw.limit_in_bytes", strconv.FormatInt(swap, 10)); err != nil {
				return err
			}
		}
	}
	if d, ok := c.dirs["cpu"]; ok {
		if r.CPUPeriod > 0 {
			if err := write(d, "cpu.cfs_period_us", strconv.FormatUint(r.CPUPeriod, 10)); err != nil {
				return err
			}
		}
		if r.CPUQuota > 0 {
			if err := write(d, "cpu.cfs_quota_us", strconv.FormatInt(r.CPUQuota, 10)); err != nil {
				return err
			}
		}
		if r.CPUShares > 0 {
			if err := write(d, "cpu.shares", strconv.FormatUint(r.CPUShares, 10)); err != nil {
				return err
			}
		}
	}
	if d, ok := c.dirs["pids"]; ok && r.PidsLimit != 0 {
		v := "max"
		if r.PidsLimit > 0 {
			v = strconv.FormatInt(r.PidsLimit, 10)
		}
		if err := write(d, "pids.max", v); err != nil {
			return err
		}
	}
	if d, ok := c.dirs["blkio"]; ok && r.BlkioWeight > 0 {
		for _, f := range []string{"blkio.weight", "blkio.bfq.weight"} {
			if _, err := os.Stat(filepath.Join(d, f)); err == nil {
				return write(d, f, strconv.Itoa(int(r.BlkioWeight)))
			}
		}
		return fmt.Errorf("cgroup blkio: this kernel has no blkio weight (needs the BFQ scheduler)")
	}
	return nil
}

func (c *v1) AddProc(pid int) error {
	for _, d := range c.uniqueDirs() {
		if err := write(d, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return err
		}
	}
	return nil
}

func (c *v1) Procs() ([]int, error) {
	for _, ctrl := range []string{"pids", "memory", "cpu", "freezer"} {
		if d, ok := c.dirs[ctrl]; ok {
			return readProcs(d)
		}
	}
	return nil, errors.New("no cgroup controller to list processes from")
}

func (c *v1) Stats() (*Stats, error) {
	s := &Stats{}
	if d, ok := c.dirs["cpuacct"]; ok {
		s.CPU.UsageNS, _ = readUint(d, "cpuacct.usage")
		if b, err := os.ReadFile(filepath.Join(d, "cpuacct.usage_percpu")); err == nil {
			for _, f := range strings.Fields(string(b)) {
				n, _ := strconv.ParseUint(f, 10, 64)
				s.CPU.PerCPU = append(s.CPU.PerCPU, n)
			}
		}
	} else {
		s.Missing = append(s.Missing, "cpuacct")
	}
	if d, ok := c.dirs["cpu"]; ok {
		if kv, err := readKV(d, "cpu.stat"); err == nil {
			s.CPU.ThrottledPeriods, s.CPU.ThrottledNS = kv["nr_throttled"], kv["throttled_time"]
		}
	}
	if d, ok := c.dirs["memory"]; ok {
		s.Memory.Usage, _ = readUint(d, "memory.usage_in_bytes")
		if lim, _ := readUint(d, "memory.limit_in_bytes"); lim < math.MaxInt64/2 {
			s.Memory.Limit = lim
		}
		if kv, err := readKV(d, "memory.stat"); err == nil {
			s.Memory.Cache = kv["total_inactive_file"]
			if _, ok := kv["total_inactive_file"]; !ok {
				s.Memory.Cache = kv["inactive_file"]
			}
		}
		if kv, err := readKV(d, "memory.oom_control"); err == nil {
			s.Memory.OOMKills = kv["oom_kill"]
		}
		s.Memory.WorkingSet = s.Memory.Usage
		if s.Memory.Cache < s.Memory.Usage {
			s.Memory.WorkingSet = s.Memory.Usage - s.Memory.Cache
		}
	} else {
		s.Missing = append(s.Missing, "memory")
	}
	if d, ok := c.dirs["pids"]; ok {
		s.Pids.Current, _ = readUint(d, "pids.current")
		s.Pids.Limit, _ = readUint(d, "pids.max")
	} else {
		s.Missing = append(s.Missing, "pids")
	}
	if d, ok := c.dirs["blkio"]; ok {
		s.IO.ReadBytes, s.IO.WriteBytes = blkioBytes(filepath.Join(d, "blkio.throttle.io_service_bytes"))
	} else {
		s.Missing = append(s.Missing, "blkio")
	}
	return s, nil
}

// blkioBytes sums "MAJ:MIN Read N" / "MAJ:MIN Write N" lines.
func blkioBytes(file string) (r, w uint64) {
	f, err := os.Open(file)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 {
			continue
		}
		n, _ := strconv.ParseUint(fs[2], 10, 64)
		switch fs[1] {
		case "Read":
			r += n
		case "Write":
			w += n
		}
	}
	return r, w
}

func (c *v1) Freeze() error { return c.freezer("FROZEN") }
func (c *v1) Thaw() error   { return c.freezer("THAWED") }

func (c *v1) freezer(state string) error {
	d, ok := c.dirs["freezer"]
	if !ok {
		return errors.New("no freezer cgroup on this host")
	}
	return write(d, "freezer.state", state)
}

func (c *v1) Delete() error {
	var errs []error
	for _, d := range c.uniqueDirs() {
		var err error
		// A cgroup whose last process just died can stay busy a moment.
		for i := 0; i < 500; i++ {
			if err = removeDir(d); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// fillCpuset gives d (and any empty ancestor berth created) its parent's
// cpus and mems: a v1 cpuset starts empty and takes no tasks until filled.
func fillCpuset(d, cpus, mems string) error {
	parent := filepath.Dir(d)
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		b, err := os.ReadFile(filepath.Join(parent, f))
		if err != nil {
			return fmt.Errorf("cgroup cpuset: %w", err)
		}
		if strings.TrimSpace(string(b)) == "" {
			if err := fillCpuset(parent, "", ""); err != nil {
				return err
			}
		}
	}
	for f, val := range map[string]string{"cpuset.cpus": cpus, "cpuset.mems": mems} {
		if val == "" {
			b, err := os.ReadFile(filepath.Join(parent, f))
			if err != nil {
				return fmt.Errorf("cgroup cpuset: %w", err)
			}
			val = strings.TrimSpace(string(b))
		}
		if err := write(d, f, val); err != nil {
			return err
		}
	}
	return nil
}
