package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/opencontainers/go-digest"
)

func jsonDecode(r io.Reader, v any) error {
	return json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(v)
}

// BlobReader reads a blob and, when the connection drops mid-way, asks the
// registry for the rest (HTTP Range) and carries on: whoever reads it, a
// digest check feeding a decompressor feeding a layer apply, never notices.
type BlobReader struct {
	c      *Client
	ctx    context.Context
	repo   Repo
	d      digest.Digest
	size   int64
	body   io.ReadCloser
	off    int64
	resets int
	// Resumed counts reconnects, for tests and progress.
	Resumed int
}

// OpenBlob returns a resuming reader for d of the given size.
func (c *Client) OpenBlob(ctx context.Context, repo Repo, d digest.Digest, size int64) (*BlobReader, error) {
	body, _, err := c.openBlob(ctx, repo, d, 0)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d, err)
	}
	return &BlobReader{c: c, ctx: ctx, repo: repo, d: d, size: size, body: body}, nil
}

func (b *BlobReader) Read(p []byte) (int, error) {
	for {
		if b.size > 0 && b.off >= b.size {
			return 0, io.EOF
		}
		n, err := b.body.Read(p)
		b.off += int64(n)
		if err == nil {
			return n, nil
		}
		if err == io.EOF && (b.size <= 0 || b.off == b.size) {
			return n, io.EOF
		}
		if b.ctx.Err() != nil {
			return n, b.ctx.Err()
		}
		// Cut short: resume from where we are.
		if b.resets >= maxAttempts {
			return n, fmt.Errorf("blob %s: connection lost at byte %d of %d: %w", b.d, b.off, b.size, errOr(err))
		}
		b.body.Close()
		b.resets++
		b.Resumed++
		sleepCtx(b.ctx, backoff(b.resets))
		body, _, rerr := b.c.openBlob(b.ctx, b.repo, b.d, b.off)
		if rerr != nil {
			b.body = io.NopCloser(errReader{rerr})
			if n > 0 {
				return n, nil
			}
			continue
		}
		b.body = body
		if n > 0 {
			return n, nil
		}
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func errOr(err error) error {
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Close ends the download.
func (b *BlobReader) Close() error { return b.body.Close() }

// chunkSize is how much one PATCH carries when uploading a large blob.
const chunkSize = 32 << 20

// UploadBlob sends a blob: mounted from another repository of the same
// registry when from is set and the registry agrees, else in one PUT
// (small) or in chunks (large). open must return the blob from offset.
func (c *Client) UploadBlob(ctx context.Context, repo Repo, d digest.Digest, size int64, from string, open func(offset int64) (io.ReadCloser, error)) (mounted bool, err error) {
	q := url.Values{}
	if from != "" && from != repo.Path {
		q.Set("mount", d.String())
		q.Set("from", from)
	}
	scope := repo.push()
	if from != "" {
		scope += " repository:" + from + ":pull"
	}
	resp, err := c.send(ctx, request{method: "POST", host: repo.Host, path: "/v2/" + repo.Path + "/blobs/uploads/", query: q, scope: scope})
	if err != nil {
		return false, err
	}
	if resp.StatusCode == http.StatusCreated {
		drain(resp)
		return true, nil
	}
	if resp.StatusCode != http.StatusAccepted {
		return false, apiError(repo.Host, resp)
	}
	loc := resp.Header.Get("Location")
	drain(resp)
	if loc == "" {
		return false, fmt.Errorf("%s: upload started without a Location", repo.Host)
	}
	if size <= chunkSize {
		resp, err = c.send(ctx, request{method: "PUT", host: repo.Host, rawURL: loc, scope: repo.push(),
			query:  url.Values{"digest": {d.String()}},
			header: http.Header{"Content-Type": {"application/octet-stream"}},
			body: func() (io.Reader, int64) {
				rc, err := open(0)
				if err != nil {
					return errReader{err}, size
				}
				return rc, size
			}})
		if err != nil {
			return false, err
		}
		if resp.StatusCode != http.StatusCreated {
			return false, apiError(repo.Host, resp)
		}
		drain(resp)
		return false, nil
	}
	for off := int64(0); off < size; {
		n := min(chunkSize, size-off)
		start := off
		resp, err = c.send(ctx, request{method: "PATCH", host: repo.Host, rawURL: loc, scope: repo.push(),
			header: http.Header{"Content-Type": {"application/octet-stream"},
				"Content-Range": {strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(start+n-1, 10)}},
			body: func() (io.Reader, int64) {
				rc, err := open(start)
				if err != nil {
					return errReader{err}, n
				}
				return io.LimitReader(rc, n), n
			}})
		if err != nil {
			return false, err
		}
		if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNoContent {
			return false, apiError(repo.Host, resp)
		}
		if l := resp.Header.Get("Location"); l != "" {
			loc = l
		}
		drain(resp)
		off += n
	}
	resp, err = c.send(ctx, request{method: "PUT", host: repo.Host, rawURL: loc, scope: repo.push(),
		query: url.Values{"digest": {d.String()}}})
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusCreated {
		return false, apiError(repo.Host, resp)
	}
	drain(resp)
	return false, nil
}
