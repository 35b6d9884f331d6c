// Package testbin builds a static berth binary for tests that start
// containers. A container's init re-executes its own binary after
// pivot_root, where the host's dynamic loader is gone; test binaries built
// with -race are always dynamic, so they cannot play that part themselves.
package testbin

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	once sync.Once
	path string
	err  error
	out  []byte
)

// Berth returns the path of a static berth binary built from this module.
func Berth(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, e := os.MkdirTemp("", "berth-testbin-")
		if e != nil {
			err = e
			return
		}
		path = filepath.Join(dir, "berth")
		cmd := exec.Command("go", "build", "-o", path, ".")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err = cmd.CombinedOutput()
	})
	if err != nil {
		t.Fatalf("build static berth: %v\n%s", err, out)
	}
	return path
}

// Cleanup removes the binary; call it from TestMain after m.Run.
func Cleanup() {
	if path != "" {
		os.RemoveAll(filepath.Dir(path))
	}
}

// Main runs a package's tests and removes the binary; a TestMain of a
// package that builds it is `func TestMain(m *testing.M) { testbin.Main(m) }`.
func Main(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}
