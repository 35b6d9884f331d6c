package monitor

import (
	"bytes"
	"os"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"berth/engine/runtime"
)

// HealthConfig is a HEALTHCHECK: the command (CMD form args, or a shell
// line run with /bin/sh -c) and its timing.
type HealthConfig struct {
	Test        []string
	Interval    time.Duration
	Timeout     time.Duration
	StartPeriod time.Duration
	Retries     int
	Env         []string
}

// startHealth probes on the interval while c runs; the returned func stops it.
func (o Options) startHealth(c *runtime.Container) func() {
	hc := o.Health
	if hc == nil || len(hc.Test) == 0 {
		return func() {}
	}
	interval, timeout, retries := hc.Interval, hc.Timeout, hc.Retries
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if retries <= 0 {
		retries = 3
	}
	stop := make(chan struct{})
	started := time.Now()
	o.updateHealth(func(h *Health) { *h = Health{Status: "starting"} })
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-c.Done():
				return
			case <-t.C:
			}
			res := o.probe(hc, timeout)
			o.updateHealth(func(h *Health) {
				h.Log = append(h.Log, res)
				if len(h.Log) > 5 {
					h.Log = h.Log[len(h.Log)-5:]
				}
				if res.ExitCode == 0 {
					h.Status, h.FailingStreak = "healthy", 0
					return
				}
				if time.Since(started) < hc.StartPeriod {
					return
				}
				h.FailingStreak++
				if h.FailingStreak >= retries {
					h.Status = "unhealthy"
				}
			})
		}
	}()
	return func() { close(stop) }
}

func (o Options) probe(hc *HealthConfig, timeout time.Duration) HealthResult {
	res := HealthResult{Start: time.Now().UTC()}
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	r, w, _ := os.Pipe()
	p := &specs.Process{Args: hc.Test, Env: hc.Env, Cwd: "/"}
	if hc.Test[0] == "CMD-SHELL" {
		p.Args = []string{"/bin/sh", "-c", hc.Test[1]}
	} else if hc.Test[0] == "CMD" {
		p.Args = hc.Test[1:]
	}
	done := make(chan int, 1)
	sigs := make(chan syscall.Signal, 1)
	go func() {
		code, _ := runtime.Exec(o.Config.ExecSocket, p, [3]*os.File{devnull, w, w}, nil, sigs)
		done <- code
	}()
	var out bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			if out.Len() < 4096 {
				out.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	select {
	case res.ExitCode = <-done:
	case <-time.After(timeout):
		sigs <- syscall.SIGKILL
		res.ExitCode = -1
		<-done
	}
	w.Close()
	r.Close()
	res.End = time.Now().UTC()
	res.Output = out.String()
	return res
}

func (o Options) updateHealth(fn func(*Health)) {
	UpdateState(o.Dir, func(st *State) {
		if st.Status != Running {
			return
		}
		if st.Health == nil {
			st.Health = &Health{}
		}
		fn(st.Health)
	})
}
