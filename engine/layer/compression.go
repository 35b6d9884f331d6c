package layer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
)

// Compression of a layer stream.
type Compression int

const (
	Uncompressed Compression = iota
	Gzip
	Zstd
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "none"
}

var (
	gzipMagic  = []byte{0x1f, 0x8b}
	zstdMagic  = []byte{0x28, 0xb5, 0x2f, 0xfd}
	bzip2Magic = []byte{'B', 'Z', 'h'}
	xzMagic    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
)

// Detect reads the compression from the stream's magic bytes without
// consuming them.
func Detect(br *bufio.Reader) (Compression, error) {
	head, err := br.Peek(6)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return Uncompressed, err
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return Gzip, nil
	case bytes.HasPrefix(head, zstdMagic):
		return Zstd, nil
	case bytes.HasPrefix(head, bzip2Magic), bytes.HasPrefix(head, xzMagic):
		return Uncompressed, fmt.Errorf("unsupported layer compression (bzip2/xz)")
	}
	return Uncompressed, nil
}

// Decompress wraps r in the decompressor its magic bytes call for.
func Decompress(r io.Reader) (io.ReadCloser, Compression, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	c, err := Detect(br)
	if err != nil {
		return nil, c, err
	}
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, c, fmt.Errorf("gzip: %w", err)
		}
		return newReadAhead(zr), c, nil
	case Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, c, fmt.Errorf("zstd: %w", err)
		}
		ra := newReadAhead(zr)
		return closeBoth{ra, zr.Close}, c, nil
	}
	return io.NopCloser(br), c, nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// Compress returns a writer that compresses into w; Close flushes it (and
// does not close w).
func Compress(w io.Writer, c Compression) (io.WriteCloser, error) {
	switch c {
	case Gzip:
		zw := pgzip.NewWriter(w)
		// Blocks of 1 MiB across every core: layer writes scale with cores
		// where `tar -czf` uses one.
		if err := zw.SetConcurrency(1<<20, 2*runtime.NumCPU()); err != nil {
			return nil, err
		}
		return zw, nil
	case Zstd:
		return zstd.NewWriter(w)
	}
	return nopWriteCloser{w}, nil
}

// closeBoth stops the read-ahead before releasing the decoder it reads.
type closeBoth struct {
	*readAhead
	release func()
}

func (c closeBoth) Close() error {
	c.readAhead.Close()
	c.release()
	return nil
}
