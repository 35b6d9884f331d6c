package tests

import (
	"archive/tar"
	"bufio"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bigImage imports a one-layer image holding size random bytes and pushes
// it to reg; it returns the reference.
func bigImage(t *testing.T, e *env, reg *registryServer, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.tar")
	f, _ := os.Create(p)
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "big", Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	io.CopyN(tw, rand.Reader, size)
	tw.Close()
	f.Close()
	ref := reg.addr + "/big/blob:v1"
	e.ok("import", p, ref)
	e.ok("push", ref)
	return ref
}

// proxy sits in front of a registry and lets a test misbehave on blobs.
type proxy struct {
	srv      *httptest.Server
	served   atomic.Int64 // blob body bytes passed through
	ranges   atomic.Int64 // resumed (Range) requests
	mu       sync.Mutex
	onBlob   func(w http.ResponseWriter, resp *http.Response) bool // true: handled
	upstream string
}

func newProxy(t *testing.T, upstream string) *proxy {
	p := &proxy{upstream: upstream}
	target, _ := url.Parse("http://" + upstream)
	rp := httputil.NewSingleHostReverseProxy(target)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" || !strings.Contains(r.URL.Path, "/blobs/sha256:") {
			rp.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Range") != "" {
			p.ranges.Add(1)
		}
		req, _ := http.NewRequest("GET", "http://"+upstream+r.URL.RequestURI(), nil)
		req.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		defer resp.Body.Close()
		p.mu.Lock()
		hook := p.onBlob
		p.mu.Unlock()
		if hook != nil && resp.StatusCode == 200 && hook(w, resp) {
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 256<<10)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				p.served.Add(int64(n))
			}
			if err != nil {
				return
			}
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *proxy) addr() string { return strings.TrimPrefix(p.srv.URL, "http://") }

// hook sets (or clears) the blob hook while requests may be in flight.
func (p *proxy) hook(fn func(w http.ResponseWriter, resp *http.Response) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onBlob = fn
}

func TestPullResumesDroppedConnection(t *testing.T) {
	e := newEnv(t)
	reg := startRegistry(t, "")
	ref := bigImage(t, e, reg, 100<<20)
	px := newProxy(t, reg.addr)
	var cut atomic.Bool
	px.hook(func(w http.ResponseWriter, resp *http.Response) bool {
		if resp.ContentLength < 50<<20 || !cut.CompareAndSwap(false, true) {
			return false
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(200)
		io.CopyN(w, resp.Body, resp.ContentLength/2)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // drop the connection halfway
	})
	f := e.fresh(t)
	via := strings.Replace(ref, reg.addr, px.addr(), 1)
	f.ok("pull", via)
	if !cut.Load() || px.ranges.Load() == 0 {
		t.Fatalf("cut %v, ranged requests %d: the resume path was not exercised", cut.Load(), px.ranges.Load())
	}
	if out := f.ok("images", "-q"); strings.TrimSpace(out) == "" {
		t.Fatal("image missing after a resumed pull")
	}
}

func TestPullRejectsWrongBytes(t *testing.T) {
	e := newEnv(t)
	reg := startRegistry(t, "")
	img := reg.addr + "/bad/busybox:v1"
	e.ok("tag", "busybox", img)
	e.ok("push", img)
	px := newProxy(t, reg.addr)
	px.hook(func(w http.ResponseWriter, resp *http.Response) bool {
		if resp.ContentLength < 100000 {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		b[len(b)/2] ^= 0xff
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.WriteHeader(200)
		w.Write(b)
		return true
	})
	f := e.fresh(t)
	r := f.run("", "pull", strings.Replace(img, reg.addr, px.addr(), 1))
	layer := strings.TrimSpace(e.ok("image", "inspect", "--format", "{{(index .Manifest.Layers 0).digest}}", img))
	if r.code == 0 || !strings.Contains(r.err, layer) {
		t.Fatalf("corrupt blob: exit %d, stderr %q must name %s", r.code, r.err, layer)
	}
	if out := f.ok("images", "-q"); out != "" {
		t.Fatalf("image visible after a failed pull: %q", out)
	}
	if blobs, _ := os.ReadDir(filepath.Join(f.root, "blobs", "sha256")); len(blobs) != 0 {
		t.Fatalf("%d blobs kept from a failed pull", len(blobs))
	}
}

func TestPullSurvivesRegistryDeathAndBerthKill(t *testing.T) {
	e := newEnv(t)
	reg := startRegistry(t, "")
	ref := bigImage(t, e, reg, 100<<20)
	px := newProxy(t, reg.addr)
	via := strings.Replace(ref, reg.addr, px.addr(), 1)
	// Slow the blob down so there is a "mid-pull" to act in.
	px.hook(func(w http.ResponseWriter, resp *http.Response) bool {
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 1<<20)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return true
				}
				px.served.Add(int64(n))
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil {
				return true
			}
		}
	})
	f := e.fresh(t)

	// 1. The registry dies mid-pull: a clear error, a consistent store.
	cmd := f.cmd("pull", via)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Start()
	until(t, 20*time.Second, "blob transfer", func() bool { return px.served.Load() > 10<<20 })
	reg.stop()
	err := cmd.Wait()
	if err == nil || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
		t.Fatalf("pull with a dead registry: %v %q", err, stderr.String())
	}
	if out := f.ok("images", "-q"); out != "" {
		t.Fatalf("partial image visible: %q", out)
	}
	reg.start(t)

	// 2. berth itself is killed mid-pull.
	px.served.Store(0)
	cmd = f.cmd("pull", via)
	cmd.Start()
	until(t, 20*time.Second, "blob transfer", func() bool { return px.served.Load() > 10<<20 })
	cmd.Process.Kill()
	cmd.Wait()
	if out := f.ok("images", "-q"); out != "" {
		t.Fatalf("partial image visible after kill -9: %q", out)
	}
	// And the next pull completes.
	px.hook(nil)
	f.ok("pull", via)
	if out := f.ok("images", "-q"); strings.TrimSpace(out) == "" {
		t.Fatal("pull after the failures did not complete")
	}
}

// fakeRegistry answers manifests a test makes up.
func fakeRegistry(t *testing.T, manifests map[string]func(w http.ResponseWriter)) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		for suffix, h := range manifests {
			if strings.HasSuffix(r.URL.Path, "/manifests/"+suffix) {
				h(w)
				return
			}
		}
		w.WriteHeader(404)
		json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}}})
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestPullBadInput(t *testing.T) {
	e := newEnv(t)
	host := fakeRegistry(t, map[string]func(http.ResponseWriter){
		"weird": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/vnd.example.thing+json")
			w.Write([]byte(`{"schemaVersion":2,"mediaType":"application/vnd.example.thing+json"}`))
		},
		"huge": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			bw := bufio.NewWriter(w)
			bw.WriteString(`{"schemaVersion":2,"x":"`)
			bw.WriteString(strings.Repeat("a", 5<<20))
			bw.WriteString(`"}`)
			bw.Flush()
		},
	})
	cases := []struct{ ref, want string }{
		{"bad ref!", "invalid reference"},
		{"a@sha256:zz", "invalid reference"},
		{host + "/x/y:missing", "MANIFEST_UNKNOWN"},
		{host + "/x/y:weird", "unsupported manifest media type"},
		{host + "/x/y:huge", "limit"},
	}
	for _, c := range cases {
		r := e.run("", "pull", "-q", c.ref)
		if r.code == 0 || !strings.Contains(r.err, c.want) || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
			t.Errorf("pull %s: exit %d stderr %q; want one line with %q", c.ref, r.code, r.err, c.want)
		}
	}
	var _ net.Conn
}
