package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
	"github.com/opencontainers/go-digest"

	"berth/engine/layer"
)

var bzip2Magic = []byte("BZh")

// openArchive opens a local file as a tar stream when it is one (plain,
// gzip, zstd or bzip2), as ADD unpacks such files.
func openArchive(host string) (io.ReadCloser, bool, error) {
	f, err := os.Open(host)
	if err != nil {
		return nil, false, err
	}
	br := bufio.NewReaderSize(f, 1<<16)
	var r io.Reader = br
	closer := func() {}
	if head, _ := br.Peek(3); bytes.Equal(head, bzip2Magic) {
		r = bzip2.NewReader(br)
	} else {
		rc, _, err := layer.Decompress(br)
		if err != nil {
			f.Close()
			return nil, false, nil // xz and friends: copied as a file
		}
		r, closer = rc, func() { rc.Close() }
	}
	tr := bufio.NewReaderSize(r, 1<<16)
	block, err := tr.Peek(512)
	if err != nil || !bytes.Equal(block[257:262], []byte("ustar")) {
		closer()
		f.Close()
		return nil, false, nil
	}
	return readCloser{tr, func() error { closer(); return f.Close() }}, true, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

func isArchive(src *source, rel string) (bool, error) {
	host, _, err := src.v.stat(rel)
	if err != nil {
		return false, err
	}
	rc, ok, err := openArchive(host)
	if rc != nil {
		rc.Close()
	}
	return ok, err
}

// unpackArchive writes a local archive's entries under target. Names are
// cleaned into the destination: a hostile archive cannot reach outside it,
// and layer apply checks every path again.
func (b *builder) unpackArchive(w *layerWriter, target string, it copyItem) error {
	host, _, err := it.src.v.stat(it.rel)
	if err != nil {
		return err
	}
	rc, _, err := openArchive(host)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("ADD %s: %w", it.rel, err)
		}
		name := strings.Trim(path.Clean("/"+hdr.Name), "/")
		if name == "" {
			continue
		}
		out := *hdr
		out.Name = join(target, name)
		if hdr.Typeflag == tar.TypeDir {
			if w.done[out.Name] {
				continue
			}
			w.done[out.Name] = true
			out.Name += "/"
		}
		if hdr.Typeflag == tar.TypeLink {
			out.Linkname = join(target, strings.Trim(path.Clean("/"+hdr.Linkname), "/"))
		}
		if w.owner != nil {
			out.Uid, out.Gid = w.owner.uid, w.owner.gid
		}
		out.Uname, out.Gname = "", ""
		if err := w.parents(out.Name); err != nil {
			return err
		}
		if err := w.tw.WriteHeader(&out); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			if _, err := io.Copy(w.tw, tr); err != nil {
				return err
			}
		}
	}
}

// expandHeredoc substitutes variables in a heredoc body, keeping quotes.
func (b *builder) expandHeredoc(body string, env []string) (string, error) {
	lex := shell.NewLex(b.df.Escape)
	lex.RawQuotes, lex.RawEscapes = true, true
	out, _, err := lex.ProcessWord(body, shell.EnvsFromSlice(env))
	return out, err
}

// download fetches an ADD URL into a temp file and returns it with the
// digest of its bytes and the server's Last-Modified time.
func (b *builder) download(ctx context.Context, u string) (*os.File, digest.Digest, time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", time.Time{}, fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", time.Time{}, fmt.Errorf("fetch %s: %s", u, resp.Status)
	}
	f, err := os.CreateTemp(b.e.Store.Path("tmp"), "add-")
	if err != nil {
		return nil, "", time.Time{}, err
	}
	os.Remove(f.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), resp.Body); err != nil {
		f.Close()
		return nil, "", time.Time{}, fmt.Errorf("fetch %s: %w", u, err)
	}
	mtime := time.Now()
	if lm, err := http.ParseTime(resp.Header.Get("Last-Modified")); err == nil {
		mtime = lm
	}
	return f, digest.NewDigest(digest.SHA256, h), mtime, nil
}

// urlDigest is the content digest of an ADD URL for the cache key: the
// --checksum when given (nothing is fetched on a cache hit), else the bytes.
func (b *builder) urlDigest(ctx context.Context, u string, checksum digest.Digest) (digest.Digest, error) {
	if checksum != "" {
		return checksum, nil
	}
	f, d, _, err := b.download(ctx, u)
	if err != nil {
		return "", err
	}
	f.Close()
	return d, nil
}

// writeURL adds a downloaded file, checked against --checksum, mode 0600
// and the server's mtime, as docker does.
func (b *builder) writeURL(ctx context.Context, w *layerWriter, p copyPlan, u string, checksum digest.Digest) error {
	f, d, mtime, err := b.download(ctx, u)
	if err != nil {
		return err
	}
	defer f.Close()
	if checksum != "" && checksum != d {
		return fmt.Errorf("ADD %s: checksum mismatch: expected %s, got %s", u, checksum, d)
	}
	target := p.target
	if p.isDir {
		pu, err := url.Parse(u)
		name := "download"
		if err == nil && path.Base(pu.Path) != "/" && path.Base(pu.Path) != "." {
			name = path.Base(pu.Path)
		}
		target = join(p.target, name)
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return w.bytes(target, f, fi.Size(), 0o600, mtime)
}
