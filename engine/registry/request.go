package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// request is one API call, re-creatable for retries and auth.
type request struct {
	method string
	host   string
	path   string // /v2/...
	query  url.Values
	rawURL string // an absolute upload Location, instead of host+path
	header http.Header
	body   func() (io.Reader, int64) // nil: no body; called once per attempt
	scope  string
}

// maxAttempts bounds retries of connection loss, 429 and 5xx.
const maxAttempts = 5

func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	key := r.host + "|" + r.scope
	authTried := false
	var lastErr error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			if err := sleepCtx(ctx, backoff(attempt)); err != nil {
				return nil, err
			}
		}
		u := &url.URL{Scheme: "https", Host: r.host, Path: r.path, RawQuery: r.query.Encode()}
		if r.rawURL != "" {
			var err error
			if u, err = url.Parse(r.rawURL); err != nil {
				return nil, fmt.Errorf("%s: bad upload location %q", r.host, r.rawURL)
			}
			if u.Host == "" {
				u.Host = r.host
			}
			q := u.Query()
			for k, vs := range r.query {
				for _, v := range vs {
					q.Add(k, v)
				}
			}
			u.RawQuery = q.Encode()
		}
		var body io.Reader
		var size int64 = -1
		if r.body != nil {
			body, size = r.body()
		}
		req, err := http.NewRequestWithContext(ctx, r.method, u.String(), body)
		if err != nil {
			return nil, err
		}
		if size >= 0 {
			req.ContentLength = size
		}
		for k, vs := range r.header {
			req.Header[k] = vs
		}
		if h, ok := c.tokens.get(key); ok {
			req.Header.Set("Authorization", h)
		}
		resp, err := c.do(req, u.Host)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			lastErr = fmt.Errorf("%s: %w", r.host, err)
			var dns *net.DNSError
			if errors.As(err, &dns) {
				return nil, lastErr // a name that does not resolve will not start to
			}
			continue
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized && !authTried:
			authTried = true
			_, aerr := c.authorize(ctx, r.host, key, resp)
			drain(resp)
			if aerr != nil {
				return nil, aerr
			}
			attempt-- // an auth round is not a failure
			continue
		case resp.StatusCode == http.StatusUnauthorized:
			drain(resp)
			return nil, fmt.Errorf("%w for %s: credentials were refused", ErrAuthRequired, r.host)
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			lastErr = apiError(r.host, resp)
			if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && ra > 0 && ra < 30 {
				sleepCtx(ctx, time.Duration(ra)*time.Second)
			}
			continue
		}
		return resp, nil
	}
	return nil, lastErr
}

func backoff(attempt int) time.Duration {
	return min(200*time.Millisecond<<(attempt-1), 5*time.Second)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// apiError turns a failed response into one line: host, status, the
// registry's own error codes.
func apiError(host string, resp *http.Response) error {
	defer drain(resp)
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &e) == nil && len(e.Errors) > 0 {
		var parts []string
		for _, x := range e.Errors {
			parts = append(parts, x.Code+": "+x.Message)
		}
		return &APIError{Status: resp.StatusCode, Msg: fmt.Sprintf("%s: %s", host, strings.Join(parts, "; "))}
	}
	return &APIError{Status: resp.StatusCode, Msg: fmt.Sprintf("%s: %s", host, resp.Status)}
}

// APIError is a registry's refusal.
type APIError struct {
	Status int
	Msg    string
}

func (e *APIError) Error() string { return e.Msg }

// IsNotFound reports a 404 from the registry.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}
