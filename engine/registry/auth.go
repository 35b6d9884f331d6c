package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// challenge is one WWW-Authenticate entry.
type challenge struct {
	scheme string
	params map[string]string
}

// parseChallenges reads `Bearer realm="...",service="...",scope="..."`.
func parseChallenges(headers []string) []challenge {
	var out []challenge
	for _, h := range headers {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
		c := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
		for rest != "" {
			rest = strings.TrimLeft(rest, " ,")
			k, v, ok := strings.Cut(rest, "=")
			if !ok {
				break
			}
			k = strings.ToLower(strings.TrimSpace(k))
			if strings.HasPrefix(v, `"`) {
				end := strings.Index(v[1:], `"`)
				if end < 0 {
					c.params[k] = v[1:]
					break
				}
				c.params[k], rest = v[1:1+end], v[2+end:]
			} else {
				val, r, _ := strings.Cut(v, ",")
				c.params[k], rest = strings.TrimSpace(val), r
			}
		}
		out = append(out, c)
	}
	return out
}

type token struct {
	header  string // the Authorization value
	expires time.Time
}

// tokenCache keeps one authorization per host and scope.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]token
}

func (t *tokenCache) get(key string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, ok := t.m[key]
	if !ok || (!tok.expires.IsZero() && time.Now().After(tok.expires)) {
		return "", false
	}
	return tok.header, true
}

func (t *tokenCache) put(key string, tok token) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[key] = tok
}

// TokensFetched counts bearer tokens fetched (tests check the cache).
func (c *Client) TokensFetched() int { return int(c.fetched.Load()) }

// ErrAuthRequired is returned (wrapped) when a registry wants credentials
// berth does not have or that it refused.
var ErrAuthRequired = fmt.Errorf("authentication required")

// authorize answers a 401: it works out the Authorization header for the
// challenge and caches it under key.
func (c *Client) authorize(ctx context.Context, host, key string, resp *http.Response) (string, error) {
	user, secret := "", ""
	if c.opts.Credentials != nil {
		user, secret = c.opts.Credentials(host)
	}
	for _, ch := range parseChallenges(resp.Header.Values("WWW-Authenticate")) {
		switch ch.scheme {
		case "basic":
			if user == "" {
				return "", fmt.Errorf("%w for %s: run `berth login %s`", ErrAuthRequired, host, host)
			}
			req, _ := http.NewRequest("GET", "http://x", nil)
			req.SetBasicAuth(user, secret)
			h := req.Header.Get("Authorization")
			c.tokens.put(key, token{header: h})
			return h, nil
		case "bearer":
			return c.fetchToken(ctx, host, key, ch, user, secret)
		}
	}
	return "", fmt.Errorf("%s: unsupported authentication challenge %q", host, resp.Header.Get("WWW-Authenticate"))
}

func (c *Client) fetchToken(ctx context.Context, host, key string, ch challenge, user, secret string) (string, error) {
	realm := ch.params["realm"]
	u, err := url.Parse(realm)
	if err != nil || realm == "" {
		return "", fmt.Errorf("%s: bad token realm %q", host, realm)
	}
	q := u.Query()
	if s := ch.params["service"]; s != "" {
		q.Set("service", s)
	}
	if s := ch.params["scope"]; s != "" {
		for _, sc := range strings.Split(s, " ") {
			q.Add("scope", sc)
		}
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return "", err
	}
	if user != "" {
		req.SetBasicAuth(user, secret)
	}
	client := c.secure
	if c.insecure(u.Host) {
		client = c.lenient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("%s: token from %s: %w", host, u.Host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == 401 || resp.StatusCode == 403 {
		return "", fmt.Errorf("%w for %s: the token server refused the credentials", ErrAuthRequired, host)
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("%s: token server %s answered %s", host, u.Host, resp.Status)
	}
	var tr struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", fmt.Errorf("%s: token response: %w", host, err)
	}
	t := tr.Token
	if t == "" {
		t = tr.AccessToken
	}
	if t == "" {
		return "", fmt.Errorf("%s: token server sent no token", host)
	}
	exp := tr.ExpiresIn
	if exp < 60 {
		exp = 60
	}
	h := "Bearer " + t
	c.fetched.Add(1)
	// A little before the server's expiry, to never send a stale one.
	c.tokens.put(key, token{header: h, expires: time.Now().Add(time.Duration(exp-10) * time.Second)})
	return h, nil
}
