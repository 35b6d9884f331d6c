package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func httpGet(t *testing.T, url string) string {
	t.Helper()
	// No proxy: these addresses are this machine's own.
	client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	var last error
	for i := 0; i < 50; i++ {
		resp, err := client.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return string(b)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

func TestPublishedPorts(t *testing.T) {
	e := newEnv(t)
	port := freePort(t)
	// The issue's own command line.
	e.ok("run", "-d", "--name", "web", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "busybox", "httpd", "-f", "-p", "80", "-h", "/www")
	if got := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)); got != "hello from berth\n" {
		t.Fatalf("GET through the published port: %q", got)
	}
	// A random host port, read back with `berth port`.
	e.ok("run", "-d", "--name", "web2", "-p", "80", "busybox", "httpd", "-f", "-p", "80", "-h", "/var/www")
	hostport := strings.TrimSpace(e.ok("port", "web2", "80"))
	if !strings.HasPrefix(hostport, "0.0.0.0:") {
		t.Fatalf("berth port: %q", hostport)
	}
	_, p, _ := net.SplitHostPort(hostport)
	if got := httpGet(t, "http://127.0.0.1:"+p+"/"); got != "hello from berth\n" {
		t.Fatalf("GET through the random port: %q", got)
	}
	// Direct to the container's address on the bridge.
	ip := containerIP(t, e, "web2")
	if got := httpGet(t, "http://"+ip+"/"); got != "hello from berth\n" {
		t.Fatalf("GET to the container's address: %q", got)
	}
	// The address survives a restart.
	e.ok("restart", "-t", "1", "web2")
	if again := containerIP(t, e, "web2"); again != ip {
		t.Fatalf("address changed across restart: %s -> %s", ip, again)
	}
	// A port already taken: one clear error naming it, nothing left.
	before := len(e.containerDirs())
	r := e.run("", "run", "-d", "--name", "clash", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), "busybox", "sleep", "100")
	if r.code != 125 || !strings.Contains(r.err, fmt.Sprint(port)) || !strings.Contains(r.err, "in use") {
		t.Fatalf("port clash: exit %d %q", r.code, r.err)
	}
	if out := e.ok("ps", "--filter", "name=clash", "--format", "{{.State}}"); strings.Contains(out, "running") {
		t.Fatal("clashing container runs")
	}
	e.run("", "rm", "-f", "clash")
	if len(e.containerDirs()) != before {
		t.Fatal("port clash left a container")
	}
}

func containerIP(t *testing.T, e *env, name string) string {
	t.Helper()
	out := e.ok("exec", name, "sh", "-c", "ip -4 addr show eth0 | grep -o 'inet [0-9.]*' | cut -d' ' -f2")
	ip := strings.TrimSpace(out)
	if net.ParseIP(ip) == nil {
		t.Fatalf("container %s has no address: %q", name, out)
	}
	return ip
}

func TestUserNetworkNamesAndModes(t *testing.T) {
	e := newEnv(t)
	e.ok("network", "create", "appnet")
	t.Cleanup(func() { e.run("", "network", "rm", "appnet") })
	e.ok("run", "-d", "--name", "web", "--network", "appnet", "--network-alias", "www", "busybox", "httpd", "-f", "-p", "80", "-h", "/var/www")
	for _, host := range []string{"web", "www"} {
		out := e.ok("run", "--rm", "--network", "appnet", "busybox", "wget", "-qO-", "http://"+host+"/")
		if out != "hello from berth\n" {
			t.Fatalf("wget http://%s/: %q", host, out)
		}
	}
	// none: loopback only. host: the host's interfaces.
	if out := e.ok("run", "--rm", "--network", "none", "busybox", "sh", "-c", "ls /sys/class/net"); strings.TrimSpace(out) != "lo" {
		t.Fatalf("--network none: %q", out)
	}
	hostIfs, _ := net.Interfaces()
	out := e.ok("run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net")
	if len(strings.Fields(out)) != len(hostIfs) {
		t.Fatalf("--network host sees %q, host has %d interfaces", out, len(hostIfs))
	}
	// container:NAME shares the other container's network.
	if out := e.ok("run", "--rm", "--network", "container:web", "busybox", "wget", "-qO-", "http://127.0.0.1/"); out != "hello from berth\n" {
		t.Fatalf("--network container:web: %q", out)
	}
	if r := e.run("", "network", "rm", "appnet"); r.code == 0 {
		t.Fatal("removed a network in use")
	}
	// connect / disconnect a running container.
	e.ok("network", "create", "side")
	t.Cleanup(func() { e.run("", "network", "rm", "side") })
	e.ok("run", "-d", "--name", "c", "busybox", "sleep", "300")
	e.ok("network", "connect", "side", "c")
	if out := e.ok("exec", "c", "ls", "/sys/class/net"); !strings.Contains(out, "eth1") {
		t.Fatalf("connect: %q", out)
	}
	e.ok("network", "disconnect", "side", "c")
	if out := e.ok("exec", "c", "ls", "/sys/class/net"); strings.Contains(out, "eth1") {
		t.Fatalf("disconnect: %q", out)
	}
}

// 30 containers with published ports, removed with rm -f: no veth, no
// listener, and the address pool is whole again.
func TestNetworkCleanup(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "--rm", "busybox", "true") // makes the store's bridge
	bridge := storeBridge(t, e)
	countVeths := func() int { return countVethsOn(bridge) }
	linksBefore := countVeths()
	var wg sync.WaitGroup
	errs := make(chan string, 30)
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if r := e.run("", "run", "-d", "--name", fmt.Sprintf("n%d", i), "-p", "80", "busybox", "sleep", "300"); r.code != 0 {
				errs <- r.err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("run: %s", err)
	}
	var ports []string
	for i := 0; i < 30; i++ {
		ports = append(ports, strings.TrimSpace(e.ok("port", fmt.Sprintf("n%d", i), "80")))
	}
	if countVeths()-linksBefore != 30 {
		t.Fatalf("%d veths for 30 containers", countVeths()-linksBefore)
	}
	ids := strings.Fields(e.ok("ps", "-q"))
	e.ok(append([]string{"rm", "-f"}, ids...)...)
	if n := countVeths() - linksBefore; n != 0 {
		t.Fatalf("%d veths left", n)
	}
	for _, hp := range ports {
		_, p, _ := net.SplitHostPort(hp)
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+p, 200*time.Millisecond); err == nil {
			c.Close()
			t.Fatalf("port %s still listening", p)
		}
	}
	b, _ := os.ReadFile(filepath.Join(e.root, "networks", "bridge.json"))
	if !strings.Contains(string(b), `"IPs": {}`) {
		t.Fatalf("address pool not whole again: %s", b)
	}
}

// countVethsOn counts the veths enslaved to one bridge: other stores'
// containers (other tests, a developer's own) do not count.
func countVethsOn(bridge string) int {
	out, _ := exec.Command("ip", "-o", "link", "show", "master", bridge).Output()
	return strings.Count(string(out), ": vb")
}

func storeBridge(t *testing.T, e *env) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.root, "networks", "bridge.json"))
	if err != nil {
		t.Fatal(err)
	}
	var n struct{ Bridge string }
	json.Unmarshal(b, &n)
	if n.Bridge == "" {
		t.Fatalf("no bridge in %s", b)
	}
	return n.Bridge
}

// stats counts a container's own interfaces: traffic to a bridged
// container shows, a container on the host's network has none of its own
// (it must not report the host's).
func TestStatsNetworkCounters(t *testing.T) {
	e := newEnv(t)
	e.ok("run", "-d", "--name", "bridged", "busybox", "httpd", "-f", "-p", "80", "-h", "/www")
	e.ok("run", "-d", "--name", "onhost", "--network", "host", "busybox", "sleep", "300")
	ip := containerIP(t, e, "bridged")
	for range 5 {
		httpGet(t, "http://"+ip+"/")
	}
	netio := func(name string) string {
		return strings.TrimSpace(e.ok("stats", "--no-stream", "--format", "{{.NetIO}}", name))
	}
	if got := netio("bridged"); strings.HasPrefix(got, "0B /") {
		t.Errorf("bridged container after 5 requests: NET I/O %q", got)
	}
	if got := netio("onhost"); got != "0B / 0B" {
		t.Errorf("host-network container: NET I/O %q, want 0B / 0B", got)
	}
}
