package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/moby/sys/user"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// execConfig is what the init sends `berth __exec`.
type execConfig struct {
	Process   *specs.Process
	Linux     *specs.Linux
	JoinNetNS bool // fd 5 is a network namespace to join
}

// ExecMain is `berth __exec`: inside the container, become the process the
// spec describes (rlimits, user, capabilities, no_new_privs, seccomp, cwd)
// and exec it. It never returns.
func ExecMain() {
	// Capabilities are per thread: the thread that sets them must exec.
	runtime.LockOSThread()
	errPipe := os.NewFile(4, "err")
	unix.CloseOnExec(4)
	fail := func(code int, err error) {
		json.NewEncoder(errPipe).Encode(struct {
			Error string
			Code  int
		}{err.Error(), code})
		os.Exit(code)
	}
	var cfg execConfig
	if err := json.NewDecoder(os.NewFile(3, "cfg")).Decode(&cfg); err != nil || cfg.Process == nil {
		fail(125, fmt.Errorf("exec: read config: %v", err))
	}
	unix.Close(3)
	if cfg.JoinNetNS {
		if err := unix.Setns(5, unix.CLONE_NEWNET); err != nil {
			fail(125, fmt.Errorf("exec: join network namespace: %w", err))
		}
		unix.Close(5)
	}
	p := cfg.Process
	if err := resolveProcessUser(p); err != nil {
		fail(125, err)
	}
	env := p.Env
	path, err := lookPath(p.Args, env)
	if err != nil {
		code := 127
		if errors.Is(err, os.ErrPermission) {
			code = 126
		}
		fail(code, err)
	}
	for _, rl := range p.Rlimits {
		if err := setRlimit(rl); err != nil {
			fail(125, err)
		}
	}
	if p.OOMScoreAdj != nil {
		os.WriteFile("/proc/self/oom_score_adj", []byte(fmt.Sprint(*p.OOMScoreAdj)), 0)
	}
	if p.Capabilities != nil {
		if err := dropBounding(p.Capabilities); err != nil {
			fail(125, fmt.Errorf("exec: capabilities: %w", err))
		}
	}
	var sc *specs.LinuxSeccomp
	if cfg.Linux != nil {
		sc = cfg.Linux.Seccomp
	}
	// Without no_new_privs the filter must go on while CAP_SYS_ADMIN is
	// still held; it refuses nothing the rest of the setup needs.
	if sc != nil && !p.NoNewPrivileges {
		if err := loadSeccomp(sc); err != nil {
			fail(125, fmt.Errorf("exec: seccomp: %w", err))
		}
	}
	if err := setUser(p); err != nil {
		fail(125, fmt.Errorf("exec: user %d:%d: %w", p.User.UID, p.User.GID, err))
	}
	if p.Capabilities != nil {
		if err := applyCaps(p.Capabilities); err != nil {
			fail(125, fmt.Errorf("exec: capabilities: %w", err))
		}
	}
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			fail(125, fmt.Errorf("exec: no_new_privs: %w", err))
		}
		if sc != nil {
			if err := loadSeccomp(sc); err != nil {
				fail(125, fmt.Errorf("exec: seccomp: %w", err))
			}
		}
	}
	cwd := p.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := os.Chdir(cwd); err != nil {
		fail(125, fmt.Errorf("exec: working directory %s: %w", cwd, err))
	}
	err = syscall.Exec(path, p.Args, env)
	code := 126
	if errors.Is(err, syscall.ENOENT) {
		code = 127
	}
	fail(code, fmt.Errorf("exec %s: %w", p.Args[0], err))
}

// lookPath finds argv[0] with the container's PATH, as a shell would.
func lookPath(args, env []string) (string, error) {
	if len(args) == 0 || args[0] == "" {
		return "", errors.New("no command given")
	}
	name := args[0]
	if strings.Contains(name, "/") {
		if _, err := os.Stat(name); err != nil {
			return "", fmt.Errorf("exec %q: %w", name, err)
		}
		return name, nil
	}
	pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			pathEnv = v
		}
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			if fi.Mode()&0o111 == 0 {
				return "", fmt.Errorf("exec %q: %w", name, os.ErrPermission)
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("exec: %q: %w", name, exec.ErrNotFound)
}

// setRlimit applies a limit, never above the hard limit berth itself has:
// raising it needs CAP_SYS_RESOURCE, which the host may not give us.
func setRlimit(rl specs.POSIXRlimit) error {
	res, ok := rlimits[rl.Type]
	if !ok {
		return fmt.Errorf("unknown rlimit %q", rl.Type)
	}
	var cur unix.Rlimit
	if err := unix.Getrlimit(res, &cur); err != nil {
		return err
	}
	want := unix.Rlimit{Cur: rl.Soft, Max: rl.Hard}
	if want.Max > cur.Max {
		want.Max = cur.Max
	}
	if want.Cur > want.Max {
		want.Cur = want.Max
	}
	if err := unix.Setrlimit(res, &want); err != nil {
		return fmt.Errorf("rlimit %s: %w", rl.Type, err)
	}
	return nil
}

var rlimits = map[string]int{
	"RLIMIT_CPU": unix.RLIMIT_CPU, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_DATA": unix.RLIMIT_DATA,
	"RLIMIT_STACK": unix.RLIMIT_STACK, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK,
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE, "RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME": unix.RLIMIT_RTTIME,
}

// setUser switches to the spec's uid, gid and groups, keeping capabilities
// across the switch so applyCaps can set them after.
func setUser(p *specs.Process) error {
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return err
	}
	groups := make([]int, len(p.User.AdditionalGids))
	for i, g := range p.User.AdditionalGids {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("setgroups: %w", err)
	}
	if err := syscall.Setresgid(int(p.User.GID), int(p.User.GID), int(p.User.GID)); err != nil {
		return fmt.Errorf("setgid: %w", err)
	}
	if err := syscall.Setresuid(int(p.User.UID), int(p.User.UID), int(p.User.UID)); err != nil {
		return fmt.Errorf("setuid: %w", err)
	}
	return unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0)
}

// ResolveUser turns a docker --user value (name, uid, name:group, uid:gid)
// into ids using the image's /etc/passwd and /etc/group, as docker does. A
// numeric uid with no passwd entry is fine: HOME is then "/".
func ResolveUser(rootfs, spec string) (specs.User, string, error) {
	defaults := &user.ExecUser{Uid: 0, Gid: 0, Home: "/"}
	eu, err := user.GetExecUserPath(spec, defaults, filepath.Join(rootfs, "etc/passwd"), filepath.Join(rootfs, "etc/group"))
	if err != nil {
		return specs.User{}, "", fmt.Errorf("user %q: %w", spec, err)
	}
	u := specs.User{UID: uint32(eu.Uid), GID: uint32(eu.Gid)}
	for _, g := range eu.Sgids {
		if g != eu.Gid {
			u.AdditionalGids = append(u.AdditionalGids, uint32(g))
		}
	}
	return u, eu.Home, nil
}

// resolveProcessUser fills uid, gid and groups from a docker-style user
// name carried in User.Username (berth's use of that field), reading the
// container's own /etc/passwd and /etc/group, and sets HOME when unset.
func resolveProcessUser(p *specs.Process) error {
	spec := p.User.Username
	if spec == "" {
		spec = fmt.Sprintf("%d:%d", p.User.UID, p.User.GID)
	}
	u, home, err := ResolveUser("/", spec)
	if err != nil {
		return err
	}
	if p.User.Username != "" {
		p.User = u
	} else if len(p.User.AdditionalGids) == 0 {
		p.User.AdditionalGids = u.AdditionalGids
	}
	for _, kv := range p.Env {
		if strings.HasPrefix(kv, "HOME=") {
			return nil
		}
	}
	p.Env = append(p.Env, "HOME="+home)
	return nil
}
