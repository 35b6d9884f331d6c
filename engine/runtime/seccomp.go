package runtime

import (
	"fmt"
	"slices"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Syscalls docker's default profile refuses, each unless the container
// holds the capability named (or always, when none is).
var blockedSyscalls = map[string]string{
	"acct": "CAP_SYS_PACCT", "add_key": "", "keyctl": "", "request_key": "",
	"bpf": "CAP_SYS_ADMIN", "clock_adjtime": "CAP_SYS_TIME", "clock_settime": "CAP_SYS_TIME",
	"settimeofday": "CAP_SYS_TIME", "create_module": "CAP_SYS_MODULE", "delete_module": "CAP_SYS_MODULE",
	"finit_module": "CAP_SYS_MODULE", "init_module": "CAP_SYS_MODULE", "get_kernel_syms": "CAP_SYS_MODULE",
	"query_module": "CAP_SYS_MODULE", "get_mempolicy": "CAP_SYS_NICE", "mbind": "CAP_SYS_NICE",
	"set_mempolicy": "CAP_SYS_NICE", "move_pages": "CAP_SYS_NICE", "ioperm": "CAP_SYS_RAWIO", "iopl": "CAP_SYS_RAWIO",
	"kcmp": "CAP_SYS_PTRACE", "process_vm_readv": "CAP_SYS_PTRACE", "process_vm_writev": "CAP_SYS_PTRACE",
	"ptrace": "CAP_SYS_PTRACE", "kexec_file_load": "CAP_SYS_BOOT", "kexec_load": "CAP_SYS_BOOT",
	"reboot": "CAP_SYS_BOOT", "lookup_dcookie": "CAP_SYS_ADMIN", "mount": "CAP_SYS_ADMIN",
	"umount2": "CAP_SYS_ADMIN", "pivot_root": "CAP_SYS_ADMIN", "setns": "CAP_SYS_ADMIN",
	"unshare": "CAP_SYS_ADMIN", "quotactl": "CAP_SYS_ADMIN", "swapon": "CAP_SYS_ADMIN",
	"swapoff": "CAP_SYS_ADMIN", "fanotify_init": "CAP_SYS_ADMIN", "fsopen": "CAP_SYS_ADMIN",
	"fsconfig": "CAP_SYS_ADMIN", "fsmount": "CAP_SYS_ADMIN", "fspick": "CAP_SYS_ADMIN",
	"move_mount": "CAP_SYS_ADMIN", "open_tree": "CAP_SYS_ADMIN", "mount_setattr": "CAP_SYS_ADMIN",
	"open_by_handle_at": "CAP_DAC_READ_SEARCH", "nfsservctl": "", "perf_event_open": "CAP_PERFMON",
	"sysfs": "", "_sysctl": "", "uselib": "", "userfaultfd": "", "ustat": "", "vm86": "", "vm86old": "",
	"syslog": "CAP_SYSLOG",
}

// namespaceFlags are the clone flags that make namespaces: refused
// without CAP_SYS_ADMIN, as docker's profile does.
var namespaceFlags = []uint64{unix.CLONE_NEWNS, unix.CLONE_NEWUTS, unix.CLONE_NEWIPC, unix.CLONE_NEWUSER,
	unix.CLONE_NEWPID, unix.CLONE_NEWNET, unix.CLONE_NEWCGROUP}

// DefaultSeccomp is docker's default profile, in OCI form, for a container
// holding caps. Written as refusals on top of "allow": a syscall this table
// does not know stays usable, which ages better than an allowlist frozen on
// one kernel's table.
func DefaultSeccomp(caps []string) *specs.LinuxSeccomp {
	eperm, enosys := uint(unix.EPERM), uint(unix.ENOSYS)
	var names []string
	info, _ := arch.GetInfo("")
	for name, cap := range blockedSyscalls {
		if cap != "" && slices.Contains(caps, cap) {
			continue
		}
		if info != nil {
			if _, ok := info.SyscallNames[name]; !ok {
				continue
			}
		}
		names = append(names, name)
	}
	slices.Sort(names)
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{Names: names, Action: specs.ActErrno, ErrnoRet: &eperm}}}
	if !slices.Contains(caps, "CAP_SYS_ADMIN") {
		for _, f := range namespaceFlags {
			s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"clone"}, Action: specs.ActErrno, ErrnoRet: &eperm,
				Args: []specs.LinuxSeccompArg{{Index: 0, Value: f, ValueTwo: f, Op: specs.OpMaskedEqual}}})
		}
		// clone3 hides its flags in memory a filter cannot read: answering
		// ENOSYS makes libc fall back to clone, which is checked above.
		s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: &enosys})
	}
	return s
}

// compileSeccomp turns the OCI form into a BPF policy. It supports what
// berth's profile and common hand-written ones use; anything else is a clear
// error rather than a filter that means something else.
func compileSeccomp(s *specs.LinuxSeccomp) (*seccomp.Policy, error) {
	def, err := action(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("seccomp default action: %w", err)
	}
	info, err := arch.GetInfo("")
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	p := &seccomp.Policy{DefaultAction: def}
	for i, sc := range s.Syscalls {
		act, err := action(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("seccomp rule %d: %w", i, err)
		}
		g := seccomp.SyscallGroup{Action: act}
		for _, name := range sc.Names {
			if _, ok := info.SyscallNames[name]; !ok {
				continue // another architecture's syscall
			}
			if len(sc.Args) == 0 {
				g.Names = append(g.Names, name)
				continue
			}
			var conds seccomp.ArgumentConditions
			for _, a := range sc.Args {
				c, err := condition(a)
				if err != nil {
					return nil, fmt.Errorf("seccomp rule %d (%s): %w", i, name, err)
				}
				conds = append(conds, c)
			}
			g.NamesWithCondtions = append(g.NamesWithCondtions, seccomp.NameWithConditions{Name: name, Conditions: conds})
		}
		if len(g.Names)+len(g.NamesWithCondtions) > 0 {
			p.Syscalls = append(p.Syscalls, g)
		}
	}
	return p, nil
}

func action(a specs.LinuxSeccompAction, errno *uint) (seccomp.Action, error) {
	switch a {
	case specs.ActAllow:
		return seccomp.ActionAllow, nil
	case specs.ActErrno:
		e := uint(unix.EPERM)
		if errno != nil {
			e = *errno
		}
		return seccomp.ActionErrno | seccomp.Action(e&0xffff), nil
	case specs.ActKill, specs.ActKillThread:
		return seccomp.ActionKillThread, nil
	case specs.ActKillProcess:
		return seccomp.ActionKillProcess, nil
	case specs.ActTrap:
		return seccomp.ActionTrap, nil
	case specs.ActLog:
		return seccomp.ActionLog, nil
	}
	return 0, fmt.Errorf("unsupported action %q", a)
}

func condition(a specs.LinuxSeccompArg) (seccomp.Condition, error) {
	c := seccomp.Condition{Argument: uint32(a.Index), Value: a.Value}
	switch {
	case a.Op == specs.OpEqualTo:
		c.Operation = seccomp.Equal
	case a.Op == specs.OpNotEqual:
		c.Operation = seccomp.NotEqual
	case a.Op == specs.OpGreaterThan:
		c.Operation = seccomp.GreaterThan
	case a.Op == specs.OpLessThan:
		c.Operation = seccomp.LessThan
	case a.Op == specs.OpGreaterEqual:
		c.Operation = seccomp.GreaterOrEqual
	case a.Op == specs.OpLessEqual:
		c.Operation = seccomp.LessOrEqual
	case a.Op == specs.OpMaskedEqual && a.ValueTwo == a.Value && a.Value&(a.Value-1) == 0:
		c.Operation = seccomp.BitsSet // one bit: "masked equal to itself" is "set"
	case a.Op == specs.OpMaskedEqual && a.ValueTwo == 0:
		c.Operation = seccomp.BitsNotSet
	default:
		return c, fmt.Errorf("unsupported argument comparison %s (value %#x, value two %#x)", a.Op, a.Value, a.ValueTwo)
	}
	return c, nil
}

// loadSeccomp installs the filter on every thread of this process.
func loadSeccomp(s *specs.LinuxSeccomp) error {
	p, err := compileSeccomp(s)
	if err != nil {
		return err
	}
	return seccomp.LoadFilter(seccomp.Filter{Flag: seccomp.FilterFlagTSync, Policy: *p})
}
