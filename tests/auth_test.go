package tests

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestBasicAuthLoginLogout(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	htpasswd := filepath.Join(dir, "htpasswd")
	os.WriteFile(htpasswd, []byte("alice:"+string(hash)+"\n"), 0o644)
	reg := startRegistry(t, fmt.Sprintf("auth:\n  htpasswd:\n    realm: berth-test\n    path: %s\n", htpasswd))
	dockerCfg := filepath.Join(dir, "docker")
	t.Setenv("DOCKER_CONFIG", dockerCfg)
	img := reg.addr + "/private/busybox:v1"
	e.ok("tag", "busybox", img)
	r := e.run("", "push", img)
	if r.code == 0 || !strings.Contains(r.err, "authentication required") || strings.Count(strings.TrimSpace(r.err), "\n") != 0 {
		t.Fatalf("push without login: %d %q", r.code, r.err)
	}
	if r := e.run("wrong\n", "login", "-u", "alice", "--password-stdin", reg.addr); r.code == 0 {
		t.Fatal("login with a wrong password succeeded")
	}
	if out := e.ok2("s3cret\n", "login", "-u", "alice", "--password-stdin", reg.addr); !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("login: %q", out)
	}
	fi, err := os.Stat(filepath.Join(dockerCfg, "config.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config.json: %v %v", fi, err)
	}
	e.ok("push", img)
	f := e.fresh(t)
	t.Cleanup(f.cleanup)
	f.ok("pull", img)
	if out := e.ok("logout", reg.addr); !strings.Contains(out, "Removing login credentials") {
		t.Fatalf("logout: %q", out)
	}
	b, _ := os.ReadFile(filepath.Join(dockerCfg, "config.json"))
	if strings.Contains(string(b), reg.addr) {
		t.Fatalf("credential kept after logout: %s", b)
	}
	g := e.fresh(t)
	if r := g.run("", "pull", img); r.code == 0 || !strings.Contains(r.err, "authentication required") {
		t.Fatalf("pull after logout: %d %q", r.code, r.err)
	}
}

func (e *env) ok2(stdin string, args ...string) string {
	e.t.Helper()
	r := e.run(stdin, args...)
	if r.code != 0 {
		e.t.Fatalf("berth %v: exit %d: %s", args, r.code, r.err)
	}
	return r.out
}

// tokenServer issues bearer tokens (ES256 JWTs with an x5c chain) for
// whatever scope is asked, as a registry's auth service would.
type tokenServer struct {
	addr     string
	requests atomic.Int64
	certPEM  string
}

func startTokenServer(t *testing.T, dir, service string) *tokenServer {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "berth-test-token"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ts := &tokenServer{certPEM: filepath.Join(dir, "token.pem")}
	os.WriteFile(ts.certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		type access struct {
			Type    string   `json:"type"`
			Name    string   `json:"name"`
			Actions []string `json:"actions"`
		}
		var acc []access
		for _, s := range r.URL.Query()["scope"] {
			parts := strings.Split(s, ":")
			if len(parts) == 3 {
				acc = append(acc, access{parts[0], parts[1], strings.Split(parts[2], ",")})
			}
		}
		now := time.Now()
		hdr, _ := json.Marshal(map[string]any{"typ": "JWT", "alg": "ES256", "x5c": []string{base64.StdEncoding.EncodeToString(der)}})
		claims, _ := json.Marshal(map[string]any{"iss": "berth-test", "sub": "tester", "aud": service,
			"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
			"jti": fmt.Sprint(now.UnixNano()), "access": acc})
		signing := b64(hdr) + "." + b64(claims)
		sum := sha256.Sum256([]byte(signing))
		rr, ss, _ := ecdsa.Sign(rand.Reader, key, sum[:])
		sig := make([]byte, 64)
		rr.FillBytes(sig[:32])
		ss.FillBytes(sig[32:])
		json.NewEncoder(w).Encode(map[string]any{"token": signing + "." + b64(sig), "expires_in": 300})
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	ts.addr = l.Addr().String()
	return ts
}

func TestBearerTokenFlow(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	ts := startTokenServer(t, dir, "berth-registry")
	reg := startRegistry(t, fmt.Sprintf("auth:\n  token:\n    realm: http://%s/token\n    service: berth-registry\n    issuer: berth-test\n    rootcertbundle: %s\n", ts.addr, ts.certPEM))
	e.ok("load", "-q", "-i", filepathLayers(t))
	img := reg.addr + "/tok/layers:v1"
	e.ok("tag", "berth/layers", img)
	e.ok("push", img)
	pushTokens := ts.requests.Load()
	// Four blobs and a manifest: tokens come once per scope, not per request.
	if pushTokens == 0 || pushTokens > 3 {
		t.Fatalf("push fetched %d tokens", pushTokens)
	}
	f := e.fresh(t)
	t.Cleanup(f.cleanup)
	before := ts.requests.Load()
	f.ok("pull", img)
	if n := ts.requests.Load() - before; n != 1 {
		t.Fatalf("pull fetched %d tokens, want 1 (cached per scope)", n)
	}
	if out := f.ok("run", "--rm", img, "cat", "/data/keep"); out != "keep\n" {
		t.Fatalf("run: %q", out)
	}
}
