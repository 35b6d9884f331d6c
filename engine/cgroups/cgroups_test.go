package cgroups

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	mountsV1 = `25 30 0:23 / /sys rw,nosuid - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
`
	mountsV2 = `25 30 0:23 / /sys rw,nosuid - sysfs sysfs rw
26 25 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
	// This machine's: v1 controllers and a cgroup2 mount holding none.
	mountsHybrid = mountsV1 + `41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`
)

func TestParseMountinfo(t *testing.T) {
	cases := []struct {
		in      string
		version Version
		mem     string
		unified string
	}{
		{mountsV1, V1, "/sys/fs/cgroup/memory", ""},
		{mountsV2, V2, "", "/sys/fs/cgroup"},
		{mountsHybrid, Hybrid, "/sys/fs/cgroup/memory", "/sys/fs/cgroup/unified"},
	}
	for _, c := range cases {
		l, err := ParseMountinfo(strings.NewReader(c.in))
		if err != nil {
			t.Fatal(err)
		}
		if l.Version != c.version || l.V1["memory"] != c.mem || l.Unified != c.unified {
			t.Errorf("%v: got %+v", c.version, l)
		}
	}
	l, _ := ParseMountinfo(strings.NewReader(mountsV1))
	if l.V1["cpu"] != "/sys/fs/cgroup/cpu,cpuacct" || l.V1["cpuacct"] != l.V1["cpu"] {
		t.Errorf("co-mounted cpu,cpuacct: %+v", l.V1)
	}
	if _, err := ParseMountinfo(strings.NewReader("1 2 0:1 / / rw - ext4 /dev/vda rw\n")); err == nil {
		t.Error("no cgroups accepted")
	}
	if got := unescape(`/mnt/a\040b`); got != "/mnt/a b" {
		t.Errorf("unescape: %q", got)
	}
}

func TestOwnPaths(t *testing.T) {
	p := ownPaths(strings.NewReader("4:memory:/process_api/abc\n2:cpu,cpuacct:/\n0::/user.slice\n"))
	if p["memory"] != "/process_api/abc" || p["cpuacct"] != "/" || p[""] != "/user.slice" {
		t.Fatalf("%v", p)
	}
}

func TestV2StatsFromFixture(t *testing.T) {
	c := &v2{mnt: "testdata/v2", dir: "testdata/v2/berth/c1"}
	s, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU.UsageNS != 2512345000 || s.CPU.ThrottledPeriods != 37 || s.CPU.ThrottledNS != 1850000000 {
		t.Errorf("cpu %+v", s.CPU)
	}
	if s.Memory.Usage != 30408704 || s.Memory.Limit != 33554432 || s.Memory.Cache != 3145728 ||
		s.Memory.WorkingSet != 30408704-3145728 || s.Memory.OOMKills != 1 {
		t.Errorf("memory %+v", s.Memory)
	}
	if s.Pids.Current != 7 || s.Pids.Limit != 20 || s.IO.ReadBytes != 1050624 || s.IO.WriteBytes != 12288 || len(s.Missing) != 0 {
		t.Errorf("pids %+v io %+v missing %v", s.Pids, s.IO, s.Missing)
	}
}

// A v2 tree where only some controllers are delegated: limits land in the
// right files, and a missing controller is reported, not zeroed silently.
func TestV2CreateWritesLimits(t *testing.T) {
	mnt := t.TempDir()
	os.WriteFile(filepath.Join(mnt, "cgroup.controllers"), []byte("cpu memory pids\n"), 0o644)
	os.MkdirAll(filepath.Join(mnt, "berth"), 0o755)
	os.WriteFile(filepath.Join(mnt, "berth", "cgroup.controllers"), []byte("cpu memory pids\n"), 0o644)
	c := newV2(Layout{Version: V2, Unified: mnt}, "berth/x")
	err := c.Create(Resources{Memory: 32 << 20, CPUQuota: 50000, CPUPeriod: 100000, CPUShares: 1024, PidsLimit: 20})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cgroup.subtree_control":       "+cpu +memory +pids",
		"berth/cgroup.subtree_control": "+cpu +memory +pids",
		"berth/x/memory.max":           "33554432",
		"berth/x/memory.swap.max":      "33554432",
		"berth/x/cpu.max":              "50000 100000",
		"berth/x/cpu.weight":           "39",
		"berth/x/pids.max":             "20",
	}
	for f, v := range want {
		b, err := os.ReadFile(filepath.Join(mnt, f))
		if err != nil || string(b) != v {
			t.Errorf("%s = %q (%v), want %q", f, b, err, v)
		}
	}
	os.WriteFile(filepath.Join(mnt, "berth/x/cgroup.controllers"), []byte("cpu memory\n"), 0o644)
	s, err := c.Stats()
	if err != nil || strings.Join(s.Missing, ",") != "pids,io" {
		t.Fatalf("missing controllers: %v %v", s.Missing, err)
	}
}

func TestV1StatsFromFixture(t *testing.T) {
	c := &v1{dirs: map[string]string{"memory": "testdata/v1/memory", "cpuacct": "testdata/v1/cpuacct", "pids": "testdata/v1/pids"}}
	s, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CPU.UsageNS != 123456789 || len(s.CPU.PerCPU) != 2 || s.CPU.PerCPU[1] != 23456789 {
		t.Errorf("cpu %+v", s.CPU)
	}
	if s.Memory.Usage != 50000000 || s.Memory.Limit != 0 || s.Memory.Cache != 6000000 || s.Memory.WorkingSet != 44000000 || s.Memory.OOMKills != 2 {
		t.Errorf("memory %+v", s.Memory)
	}
	if s.Pids.Current != 3 || s.Pids.Limit != 0 {
		t.Errorf("pids %+v", s.Pids)
	}
	if strings.Join(s.Missing, ",") != "blkio" {
		t.Errorf("missing %v", s.Missing)
	}
}

func TestSharesToWeight(t *testing.T) {
	for in, want := range map[uint64]uint64{2: 1, 1024: 39, 262144: 10000, 0: 0} {
		if got := sharesToWeight(in); got != want {
			t.Errorf("%d -> %d want %d", in, got, want)
		}
	}
}

// On the real host: create, limit, put a process in, read stats, delete.
func TestHostCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating cgroups needs root")
	}
	l, err := Detect()
	if err != nil {
		t.Skip(err)
	}
	c, err := New(l, "berth-test/"+strings.ReplaceAll(t.Name(), "/", "-")+time.Now().Format("150405.000"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(Resources{Memory: 64 << 20, PidsLimit: 50, CPUQuota: 50000, CPUPeriod: 100000}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if err := c.Delete(); err != nil {
			t.Error(err)
		}
		for _, p := range c.Paths() {
			os.Remove(filepath.Dir(p)) // berth-test/, if empty
		}
	})
	if err := c.AddProc(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	procs, err := c.Procs()
	if err != nil || len(procs) != 1 || procs[0] != cmd.Process.Pid {
		t.Fatalf("procs %v %v", procs, err)
	}
	s, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Memory.Limit != 64<<20 || s.Pids.Current != 1 || s.Pids.Limit != 50 {
		t.Fatalf("stats %+v", s)
	}
}
