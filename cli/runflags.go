package cli

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"berth/engine"
	"berth/engine/monitor"
	"berth/engine/network"
)

// runFlags are create/run's docker-compatible flags.
type runFlags struct {
	detach, interactive, tty, rm, readOnly, privileged, init, noHealth                          bool
	entrypointSet                                                                               bool // --entrypoint given, even as ""
	name, workdir, user, hostname, entrypoint, memory, memorySwap, restart, stopSignal, network string
	healthCmd                                                                                   string
	healthInterval, healthTimeout, healthStart                                                  time.Duration
	healthRetries                                                                               int
	cpus                                                                                        float64
	cpuShares, pidsLimit                                                                        int64
	stopTimeout                                                                                 int
	env, envFile, volumes, tmpfs, mounts, capAdd, capDrop, securityOpt, labels                  []string
	publish, expose, aliases                                                                    []string
	publishAll                                                                                  bool
}

func (f *runFlags) register(fs *pflag.FlagSet, withDetach bool) {
	fs.SetInterspersed(false) // flags after the image belong to the command
	if withDetach {
		fs.BoolVarP(&f.detach, "detach", "d", false, "run in the background and print the container ID")
	}
	fs.BoolVarP(&f.interactive, "interactive", "i", false, "keep STDIN open")
	fs.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-TTY")
	fs.BoolVar(&f.rm, "rm", false, "remove the container when it exits")
	fs.StringVar(&f.name, "name", "", "assign a name to the container")
	fs.StringArrayVarP(&f.env, "env", "e", nil, "set environment variables (KEY=VALUE, or KEY to pass the host's)")
	fs.StringArrayVar(&f.envFile, "env-file", nil, "read environment variables from a file")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fs.StringVarP(&f.user, "user", "u", "", "user (name|uid[:group|gid])")
	fs.StringArrayVarP(&f.volumes, "volume", "v", nil, "bind mount a volume (/host:/ctr[:ro] or name:/ctr)")
	fs.StringArrayVar(&f.tmpfs, "tmpfs", nil, "mount a tmpfs (/path[:options])")
	fs.StringArrayVar(&f.mounts, "mount", nil, "attach a filesystem mount (type=bind|volume|tmpfs,source=,target=[,readonly])")
	fs.StringVarP(&f.memory, "memory", "m", "", "memory limit (e.g. 32m)")
	fs.StringVar(&f.memorySwap, "memory-swap", "", "memory+swap limit (-1: unlimited swap)")
	fs.Float64Var(&f.cpus, "cpus", 0, "number of CPUs (e.g. 0.5)")
	fs.Int64VarP(&f.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "limit the number of processes (-1: unlimited)")
	fs.StringVar(&f.hostname, "hostname", "", "container host name")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "overwrite the image's ENTRYPOINT")
	fs.BoolVar(&f.init, "init", true, "run an init as PID 1 that reaps zombies and forwards signals (berth always does)")
	fs.BoolVar(&f.readOnly, "read-only", false, "mount the root filesystem read-only")
	fs.StringArrayVar(&f.capAdd, "cap-add", nil, "add Linux capabilities")
	fs.StringArrayVar(&f.capDrop, "cap-drop", nil, "drop Linux capabilities")
	fs.BoolVar(&f.privileged, "privileged", false, "give extended privileges to this container")
	fs.StringArrayVar(&f.securityOpt, "security-opt", nil, "security options (no-new-privileges, seccomp=unconfined)")
	fs.StringVar(&f.restart, "restart", "no", "restart policy: no, on-failure[:N], always, unless-stopped")
	fs.StringVar(&f.stopSignal, "stop-signal", "", "signal to stop the container")
	fs.IntVar(&f.stopTimeout, "stop-timeout", -1, "seconds to wait for stop before killing")
	fs.StringArrayVarP(&f.labels, "label", "l", nil, "set metadata (KEY=VALUE)")
	fs.StringVar(&f.network, "network", "bridge", "network: bridge, none, host, container:NAME, or a network's name")
	fs.StringArrayVar(&f.aliases, "network-alias", nil, "another name the container has on its network")
	fs.StringArrayVarP(&f.publish, "publish", "p", nil, "publish a port: [ip:][hostPort:]containerPort[/tcp|udp]")
	fs.BoolVarP(&f.publishAll, "publish-all", "P", false, "publish every exposed port to a random host port")
	fs.StringArrayVar(&f.expose, "expose", nil, "expose a port (for -P)")
	fs.StringVar(&f.healthCmd, "health-cmd", "", "command to check health")
	fs.DurationVar(&f.healthInterval, "health-interval", 0, "time between health checks")
	fs.DurationVar(&f.healthTimeout, "health-timeout", 0, "maximum time for one check")
	fs.DurationVar(&f.healthStart, "health-start-period", 0, "start period before failures count")
	fs.IntVar(&f.healthRetries, "health-retries", 0, "consecutive failures to report unhealthy")
	fs.BoolVar(&f.noHealth, "no-healthcheck", false, "disable any container-specified HEALTHCHECK")
}

// options turns the flags and IMAGE [COMMAND...] into engine options.
// Every error names the flag.
func (f *runFlags) options(args []string) (engine.CreateOptions, error) {
	o := engine.CreateOptions{Image: args[0], Cmd: args[1:], Name: f.name, Workdir: f.workdir, User: f.user,
		Hostname: f.hostname, Tty: f.tty, OpenStdin: f.interactive, StopSignal: f.stopSignal, NoHealthcheck: f.noHealth}
	if f.entrypointSet {
		ep := []string{}
		if f.entrypoint != "" {
			ep = []string{f.entrypoint}
		}
		o.Entrypoint = &ep
	}
	if f.stopTimeout >= 0 {
		o.StopTimeout = &f.stopTimeout
	}
	for _, file := range f.envFile {
		vars, err := readEnvFile(file)
		if err != nil {
			return o, fmt.Errorf("--env-file: %w", err)
		}
		o.Env = append(o.Env, vars...)
	}
	for _, e := range f.env {
		if !strings.Contains(e, "=") {
			v, ok := os.LookupEnv(e)
			if !ok {
				continue
			}
			e += "=" + v
		}
		o.Env = append(o.Env, e)
	}
	o.Labels = map[string]string{}
	for _, l := range f.labels {
		k, v, _ := strings.Cut(l, "=")
		o.Labels[k] = v
	}
	h := &o.Host
	h.AutoRemove, h.ReadonlyRootfs, h.Privileged, h.Init = f.rm, f.readOnly, f.privileged, f.init
	h.CapAdd, h.CapDrop, h.SecurityOpt = f.capAdd, f.capDrop, f.securityOpt
	h.NetworkMode = f.network
	if strings.HasPrefix(f.network, "container:") && len(f.network) == len("container:") {
		return o, fmt.Errorf("--network container: needs a container name")
	}
	for _, p := range f.publish {
		maps, err := network.ParsePublish(p)
		if err != nil {
			return o, err
		}
		h.PortBindings = append(h.PortBindings, maps...)
	}
	h.PublishAll = f.publishAll
	o.Expose, o.Aliases = f.expose, f.aliases
	for _, v := range f.volumes {
		m, err := engine.ParseVolume(v)
		if err != nil {
			return o, fmt.Errorf("-v: %w", err)
		}
		h.Mounts = append(h.Mounts, m)
	}
	for _, v := range f.mounts {
		m, err := engine.ParseMount(v)
		if err != nil {
			return o, fmt.Errorf("--mount: %w", err)
		}
		h.Mounts = append(h.Mounts, m)
	}
	for _, v := range f.tmpfs {
		m, err := engine.ParseTmpfs(v)
		if err != nil {
			return o, err
		}
		h.Mounts = append(h.Mounts, m)
	}
	var err error
	if f.memory != "" {
		if h.Memory, err = engine.ParseBytes(f.memory); err != nil {
			return o, fmt.Errorf("--memory: %w", err)
		}
		if h.Memory < 6<<20 {
			return o, fmt.Errorf("--memory: minimum is 6MB")
		}
	}
	if f.memorySwap == "-1" {
		h.MemorySwap = -1
	} else if f.memorySwap != "" {
		if h.MemorySwap, err = engine.ParseBytes(f.memorySwap); err != nil {
			return o, fmt.Errorf("--memory-swap: %w", err)
		}
		if h.Memory > 0 && h.MemorySwap < h.Memory {
			return o, fmt.Errorf("--memory-swap must be at least --memory")
		}
	}
	if f.cpus < 0 {
		return o, fmt.Errorf("--cpus: must be positive")
	}
	h.NanoCPUs = int64(f.cpus * 1e9)
	h.CPUShares, h.PidsLimit = f.cpuShares, f.pidsLimit
	name, max, _ := strings.Cut(f.restart, ":")
	h.RestartPolicy = monitor.Restart{Name: name}
	if max != "" {
		n, err := strconv.Atoi(max)
		if err != nil || name != "on-failure" || n < 0 {
			return o, fmt.Errorf("--restart %q: a retry count goes only with on-failure", f.restart)
		}
		h.RestartPolicy.MaxRetries = n
	}
	if f.healthCmd != "" {
		o.Healthcheck = &engine.Healthcheck{Test: []string{"CMD-SHELL", f.healthCmd}, Interval: f.healthInterval,
			Timeout: f.healthTimeout, StartPeriod: f.healthStart, Retries: f.healthRetries}
	}
	return o, nil
}

func readEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.Contains(line, "=") {
			v, ok := os.LookupEnv(line)
			if !ok {
				continue
			}
			line += "=" + v
		}
		if strings.HasPrefix(line, "=") {
			return nil, fmt.Errorf("%s:%d: variable name is empty", path, n)
		}
		out = append(out, line)
	}
	return out, sc.Err()
}
