package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"berth/engine/image"
)

// Repo is one repository on one registry.
type Repo struct {
	Host string // API host (docker.io -> registry-1.docker.io)
	Path string // library/busybox
}

// RepoOf is the repository a reference names.
func RepoOf(r image.Ref) Repo { return Repo{Host: apiHost(r.Domain()), Path: r.Path()} }

func (r Repo) pull() string { return "repository:" + r.Path + ":pull" }
func (r Repo) push() string { return "repository:" + r.Path + ":pull,push" }

var manifestAccept = strings.Join([]string{ocispec.MediaTypeImageIndex, image.DockerManifestList,
	ocispec.MediaTypeImageManifest, image.DockerManifest}, ", ")

// Manifest fetches a manifest or index by tag or digest and verifies it:
// against the digest asked for, or the Docker-Content-Digest the registry
// states for a tag.
func (c *Client) Manifest(ctx context.Context, repo Repo, reference string) ([]byte, ocispec.Descriptor, error) {
	resp, err := c.send(ctx, request{method: "GET", host: repo.Host, path: "/v2/" + repo.Path + "/manifests/" + reference,
		header: http.Header{"Accept": {manifestAccept}}, scope: repo.pull()})
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	if resp.StatusCode != 200 {
		return nil, ocispec.Descriptor{}, apiError(repo.Host, resp)
	}
	defer resp.Body.Close()
	if resp.ContentLength > image.MaxManifestBytes {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s/%s:%s: manifest of %d bytes is over the %d byte limit", repo.Host, repo.Path, reference, resp.ContentLength, image.MaxManifestBytes)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, image.MaxManifestBytes+1))
	if err != nil {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s: read manifest: %w", repo.Host, err)
	}
	if len(b) > image.MaxManifestBytes {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s/%s:%s: manifest is over the %d byte limit", repo.Host, repo.Path, reference, image.MaxManifestBytes)
	}
	got := digest.FromBytes(b)
	if want, err := digest.Parse(reference); err == nil && want != got {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s: manifest %s has digest %s", repo.Host, want, got)
	}
	if h := resp.Header.Get("Docker-Content-Digest"); h != "" && digest.Digest(h) != got {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s: manifest %s:%s has digest %s, registry says %s", repo.Host, repo.Path, reference, got, h)
	}
	mt := image.SniffMediaType(b)
	if ct := resp.Header.Get("Content-Type"); mt == "" && (image.IsManifest(ct) || image.IsIndex(ct)) {
		mt = ct
	}
	if !image.IsManifest(mt) && !image.IsIndex(mt) {
		return nil, ocispec.Descriptor{}, fmt.Errorf("%s/%s:%s: unsupported manifest media type %q", repo.Host, repo.Path, reference, mt)
	}
	return b, ocispec.Descriptor{MediaType: mt, Digest: got, Size: int64(len(b))}, nil
}

// BlobExists asks whether the repository has d.
func (c *Client) BlobExists(ctx context.Context, repo Repo, d digest.Digest) (bool, error) {
	resp, err := c.send(ctx, request{method: "HEAD", host: repo.Host, path: "/v2/" + repo.Path + "/blobs/" + d.String(), scope: repo.pull()})
	if err != nil {
		return false, err
	}
	drain(resp)
	switch resp.StatusCode {
	case 200:
		return true, nil
	case 404:
		return false, nil
	}
	return false, fmt.Errorf("%s: HEAD blob %s: %s", repo.Host, d, resp.Status)
}

// openBlob starts (or resumes at offset) a blob download.
func (c *Client) openBlob(ctx context.Context, repo Repo, d digest.Digest, offset int64) (io.ReadCloser, int64, error) {
	h := http.Header{}
	if offset > 0 {
		h.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := c.send(ctx, request{method: "GET", host: repo.Host, path: "/v2/" + repo.Path + "/blobs/" + d.String(), header: h, scope: repo.pull()})
	if err != nil {
		return nil, 0, err
	}
	switch {
	case offset > 0 && resp.StatusCode == http.StatusPartialContent:
		return resp.Body, resp.ContentLength, nil
	case offset > 0 && resp.StatusCode == 200:
		// No range support: skip what we have.
		if _, err := io.CopyN(io.Discard, resp.Body, offset); err != nil {
			resp.Body.Close()
			return nil, 0, err
		}
		return resp.Body, resp.ContentLength - offset, nil
	case resp.StatusCode == 200:
		return resp.Body, resp.ContentLength, nil
	}
	return nil, 0, apiError(repo.Host, resp)
}

// Tags lists a repository's tags, following pagination.
func (c *Client) Tags(ctx context.Context, repo Repo) ([]string, error) {
	var out []string
	path := "/v2/" + repo.Path + "/tags/list"
	q := url.Values{"n": {"1000"}}
	for i := 0; i < 100; i++ {
		resp, err := c.send(ctx, request{method: "GET", host: repo.Host, path: path, query: q, scope: repo.pull()})
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != 200 {
			return nil, apiError(repo.Host, resp)
		}
		var tl struct{ Tags []string }
		err = jsonDecode(resp.Body, &tl)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: tags: %w", repo.Host, err)
		}
		out = append(out, tl.Tags...)
		link := resp.Header.Get("Link")
		if link == "" {
			break
		}
		start, end := strings.Index(link, "<"), strings.Index(link, ">")
		if start < 0 || end < start {
			break
		}
		next, err := url.Parse(link[start+1 : end])
		if err != nil {
			break
		}
		path, q = next.Path, next.Query()
	}
	return out, nil
}

// PutManifest uploads a manifest under tag (or its digest) and checks the
// digest the registry computed.
func (c *Client) PutManifest(ctx context.Context, repo Repo, reference string, mediaType string, b []byte) error {
	resp, err := c.send(ctx, request{method: "PUT", host: repo.Host, path: "/v2/" + repo.Path + "/manifests/" + reference,
		header: http.Header{"Content-Type": {mediaType}}, scope: repo.push(),
		body: func() (io.Reader, int64) { return bytes.NewReader(b), int64(len(b)) }})
	if err != nil {
		return err
	}
	if resp.StatusCode != 201 && resp.StatusCode != 200 {
		return apiError(repo.Host, resp)
	}
	drain(resp)
	if h := resp.Header.Get("Docker-Content-Digest"); h != "" && digest.Digest(h) != digest.FromBytes(b) {
		return fmt.Errorf("%s: registry stored manifest as %s, berth sent %s", repo.Host, h, digest.FromBytes(b))
	}
	return nil
}
