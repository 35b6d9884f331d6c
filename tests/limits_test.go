package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMemoryLimitOOM(t *testing.T) {
	e := newEnv(t)
	r := e.run("", "run", "--name", "hog", "-m", "32m", "busybox", "sh", "-c", `x=a; while true; do x="$x$x"; done`)
	if r.code != 137 {
		t.Fatalf("memory hog exit %d: %s", r.code, r.err)
	}
	if got := strings.TrimSpace(e.ok("inspect", "--format", "{{.State.OOMKilled}}", "hog")); got != "true" {
		t.Fatalf("OOMKilled = %s", got)
	}
}

func TestPidsLimitStopsForkBomb(t *testing.T) {
	e := newEnv(t)
	// Fork until the kernel refuses: the shell dies on "can't fork", having
	// counted how many it got. The host (this test) carries on.
	r := e.run("", "run", "--rm", "--pids-limit", "20", "busybox", "sh", "-c",
		`i=0; while true; do sleep 300 & i=$((i+1)); echo $i; done`)
	if r.code == 0 || !strings.Contains(r.err, "can't fork") {
		t.Fatalf("fork bomb: exit %d, stderr %q", r.code, r.err)
	}
	lines := strings.Fields(r.out)
	if n := atoi(lines[len(lines)-1]); n == 0 || n >= 20 {
		t.Fatalf("%d processes forked under --pids-limit 20", n)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range strings.TrimSpace(s) {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// --cpus 0.5 keeps a busy loop near half a core, measured from the
// container's own cgroup usage.
func TestCPUQuota(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "busy", "--cpus", "0.5", "busybox", "sh", "-c", "while :; do :; done")
	time.Sleep(500 * time.Millisecond)
	usage := func() (uint64, time.Time) {
		var st struct{ CgroupPaths map[string]string }
		id := strings.TrimSpace(e.ok("ps", "-q", "--no-trunc", "--filter", "name=busy"))
		b, _ := os.ReadFile(filepath.Join(e.root, "containers", id, "state.json"))
		json.Unmarshal(b, &st)
		p := st.CgroupPaths["cpuacct"]
		f := "cpuacct.usage"
		if p == "" {
			p, f = st.CgroupPaths[""], "cpu.stat"
		}
		raw, err := os.ReadFile(filepath.Join(p, f))
		if err != nil {
			t.Fatalf("read cgroup cpu usage: %v", err)
		}
		s := strings.TrimSpace(string(raw))
		if f == "cpu.stat" {
			s = strings.Fields(s)[1]
			return uint64(atoi(s)) * 1000, time.Now()
		}
		var n uint64
		for _, c := range s {
			n = n*10 + uint64(c-'0')
		}
		return n, time.Now()
	}
	u1, t1 := usage()
	time.Sleep(2 * time.Second)
	u2, t2 := usage()
	pct := float64(u2-u1) / float64(t2.Sub(t1).Nanoseconds()) * 100
	t.Logf("busy loop under --cpus 0.5: %.1f%% of one core", pct)
	if pct < 35 || pct > 65 {
		t.Fatalf("busy loop used %.1f%% of a core, want about 50%%", pct)
	}
}
