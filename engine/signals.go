package engine

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// ParseSignal reads SIGTERM, TERM, term or 15.
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q", s)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig := unix.SignalNum(name)
	if sig == 0 {
		return 0, fmt.Errorf("invalid signal %q", s)
	}
	return sig, nil
}

// imageHealthcheck reads HEALTHCHECK from a raw docker image config.
func imageHealthcheck(raw []byte) *Healthcheck {
	var c struct {
		Config struct {
			Healthcheck *struct {
				Test                                    []string
				Interval, Timeout, StartPeriod, Retries int64
			}
		} `json:"config"`
	}
	if json.Unmarshal(raw, &c) != nil || c.Config.Healthcheck == nil || len(c.Config.Healthcheck.Test) == 0 {
		return nil
	}
	h := c.Config.Healthcheck
	if h.Test[0] == "NONE" {
		return nil
	}
	return &Healthcheck{Test: h.Test, Interval: durationNS(h.Interval), Timeout: durationNS(h.Timeout),
		StartPeriod: durationNS(h.StartPeriod), Retries: int(h.Retries)}
}

func durationNS(n int64) time.Duration { return time.Duration(n) }
