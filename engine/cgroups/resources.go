package cgroups

// Resources are the limits a container runs under; zero means "not set".
type Resources struct {
	Memory      int64  // bytes
	MemorySwap  int64  // memory+swap bytes; -1 unlimited
	CPUQuota    int64  // microseconds per period
	CPUPeriod   uint64 // microseconds
	CPUShares   uint64 // v1 shares (v2 weight is derived)
	CPUsetCPUs  string
	CPUsetMems  string
	PidsLimit   int64 // -1 unlimited
	BlkioWeight uint16
}

// Stats is a sample of a cgroup's usage. Missing lists controllers this
// host does not provide, whose fields are then meaningless.
type Stats struct {
	CPU struct {
		UsageNS          uint64
		PerCPU           []uint64
		ThrottledPeriods uint64
		ThrottledNS      uint64
	}
	Memory struct {
		Usage      uint64 // including page cache
		Limit      uint64 // 0: unlimited
		Cache      uint64 // inactive file pages
		WorkingSet uint64 // usage minus inactive file: what `docker stats` shows
		OOMKills   uint64
	}
	Pids struct {
		Current uint64
		Limit   uint64 // 0: unlimited
	}
	IO struct {
		ReadBytes, WriteBytes uint64
	}
	Missing []string
}

// Cgroup is one container's cgroup, whichever version backs it.
type Cgroup interface {
	// Paths names the directories, for the container's record.
	Paths() map[string]string
	Create(Resources) error
	AddProc(pid int) error
	Procs() ([]int, error)
	Stats() (*Stats, error)
	Freeze() error
	Thaw() error
	Delete() error
}

// sharesToWeight maps v1 cpu.shares [2, 262144] onto v2 cpu.weight
// [1, 10000], the conversion runc and crun use.
func sharesToWeight(s uint64) uint64 {
	if s == 0 {
		return 0
	}
	return 1 + ((s-2)*9999)/262142
}
