package registry

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DockerHub is where docker.io references are served from.
const DockerHub = "registry-1.docker.io"

// Options configure a Client.
type Options struct {
	// Insecure lists registries (host[:port]) reached without TLS
	// verification, falling back to plain HTTP. Loopback always is, as
	// with docker.
	Insecure []string
	// TLSVerify=false treats every registry as insecure (--tls-verify=false).
	NoTLSVerify bool
	// Mirrors are tried, in order, before docker.io for its images.
	Mirrors []string
	// Credentials answers "who am I at host"; nil means anonymous.
	Credentials func(host string) (user, secret string)
	UserAgent   string
}

// Client talks to registries.
type Client struct {
	opts    Options
	secure  *http.Client
	lenient *http.Client
	mu      sync.Mutex
	plain   map[string]bool // hosts that answered only over HTTP
	tokens  *tokenCache
	fetched atomic.Int64
}

// New makes a client.
func New(o Options) *Client {
	tr := func(verify bool) *http.Transport {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 8
		t.ResponseHeaderTimeout = 60 * time.Second
		if !verify {
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
		}
		return t
	}
	if o.UserAgent == "" {
		o.UserAgent = "berth"
	}
	return &Client{opts: o, secure: &http.Client{Transport: tr(true)}, lenient: &http.Client{Transport: tr(false)},
		plain: map[string]bool{}, tokens: &tokenCache{m: map[string]token{}}}
}

// insecure reports whether host may skip TLS checks and use HTTP.
func (c *Client) insecure(host string) bool {
	if c.opts.NoTLSVerify {
		return true
	}
	h := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		h = sh
	}
	if h == "localhost" {
		return true
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsLoopback() {
		return true
	}
	for _, i := range c.opts.Insecure {
		if strings.EqualFold(i, host) || strings.EqualFold(i, h) {
			return true
		}
	}
	return false
}

// apiHost maps a reference's domain to the host that serves its API.
func apiHost(domain string) string {
	if domain == "docker.io" || domain == "index.docker.io" {
		return DockerHub
	}
	return domain
}

// do sends req to host, choosing the scheme: HTTPS, or for an insecure
// host HTTPS without verification falling back to HTTP (remembered).
func (c *Client) do(req *http.Request, host string) (*http.Response, error) {
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if !c.insecure(host) {
		req.URL.Scheme = "https"
		return c.secure.Do(req)
	}
	c.mu.Lock()
	plain := c.plain[host]
	c.mu.Unlock()
	if !plain {
		req.URL.Scheme = "https"
		resp, err := c.lenient.Do(req)
		if err == nil || !isTLSFailure(err) || req.GetBody == nil && req.Body != nil && req.Body != http.NoBody {
			return resp, err
		}
		c.mu.Lock()
		c.plain[host] = true
		c.mu.Unlock()
		if req.GetBody != nil {
			req.Body, _ = req.GetBody()
		}
	}
	req.URL.Scheme = "http"
	return c.lenient.Do(req)
}

func isTLSFailure(err error) bool {
	var rec tls.RecordHeaderError
	var uerr *url.Error
	if errors.As(err, &rec) {
		return true
	}
	if errors.As(err, &uerr) {
		s := uerr.Err.Error()
		return strings.Contains(s, "server gave HTTP response") || strings.Contains(s, "tls:")
	}
	return false
}
