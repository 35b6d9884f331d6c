package tests

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// registryServer is Debian's docker-registry (the distribution project's)
// on a random loopback port with storage in a temp dir.
type registryServer struct {
	addr string
	cmd  *exec.Cmd
	conf string
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRegistry runs a registry; extra is appended to its config (auth).
func startRegistry(t *testing.T, extra string) *registryServer {
	t.Helper()
	if _, err := exec.LookPath("docker-registry"); err != nil {
		t.Skip("docker-registry not installed (apt-get install docker-registry)")
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(dir, "config.yml")
	os.WriteFile(conf, []byte(fmt.Sprintf(`version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: 127.0.0.1:%d
%s`, filepath.Join(dir, "data"), port, extra)), 0o644)
	r := &registryServer{addr: fmt.Sprintf("127.0.0.1:%d", port), conf: conf}
	r.start(t)
	t.Cleanup(r.stop)
	return r
}

func (r *registryServer) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command("docker-registry", "serve", r.conf)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + r.addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry did not come up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the registry this test started, by its PID.
func (r *registryServer) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}
