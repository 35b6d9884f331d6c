package cli

import "golang.org/x/sys/unix"

// physMem is the host's RAM: the "limit" of a container without one.
func physMem() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
}
