package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"berth/internal/fixture"
	"berth/internal/testbin"
)

func TestMain(m *testing.M) {
	testbin.Main(m)
}

// env is one test's berth: a binary and a private store with busybox.
type env struct {
	t    *testing.T
	bin  string
	root string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("containers need root")
	}
	e := &env{t: t, bin: testbin.Berth(t), root: t.TempDir()}
	e.ok("load", "-q", "-i", fixture.BusyboxLayout(t))
	t.Cleanup(e.cleanup)
	return e
}

// cleanup removes every container the test left, even on failure, so no
// process, cgroup or monitor outlives it.
func (e *env) cleanup() {
	ids := strings.Fields(e.run("", "ps", "-aq", "--no-trunc").out)
	if len(ids) > 0 {
		e.run("", append([]string{"rm", "-f"}, ids...)...)
	}
	e.run("", "network", "prune", "-f")
	e.run("", "__teardown-networks")
}

type res struct {
	out, err string
	code     int
}

func (e *env) cmd(args ...string) *exec.Cmd {
	c := exec.Command(e.bin, append([]string{"--root", e.root}, args...)...)
	c.Env = append(os.Environ(), "TERM=dumb")
	return c
}

func (e *env) run(stdin string, args ...string) res {
	e.t.Helper()
	c := e.cmd(args...)
	var out, errb bytes.Buffer
	c.Stdin, c.Stdout, c.Stderr = strings.NewReader(stdin), &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("berth %v: %v", args, err)
	}
	return res{out.String(), errb.String(), code}
}

func (e *env) ok(args ...string) string {
	e.t.Helper()
	r := e.run("", args...)
	if r.code != 0 {
		e.t.Fatalf("berth %s: exit %d: %s", strings.Join(args, " "), r.code, r.err)
	}
	return r.out
}

// until polls fn until it is true or the deadline passes.
func until(t *testing.T, d time.Duration, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) containerDirs() []string {
	ents, _ := os.ReadDir(filepath.Join(e.root, "containers"))
	var out []string
	for _, d := range ents {
		out = append(out, d.Name())
	}
	return out
}

func filepathLayers(t *testing.T) string { return fixture.LayersLayout(t) }
