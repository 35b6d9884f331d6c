package layer

import (
	"io"
	"sync"
)

// readAhead runs r (a decompressor) in its own goroutine, a few chunks ahead
// of the consumer, so inflating overlaps with hashing and writing files.
// pgzip does the same but allocates megabytes per gzip member, which hostile
// multi-member streams turn into a slow-down; this keeps memory fixed.
type readAhead struct {
	chunks chan chunk
	free   chan []byte
	cur    []byte
	curBuf []byte
	err    error
	stop   chan struct{}
	once   sync.Once
	done   chan struct{}
}

type chunk struct {
	buf []byte
	n   int
	err error
}

const (
	aheadChunk = 256 << 10
	aheadDepth = 4
)

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{chunks: make(chan chunk, aheadDepth), free: make(chan []byte, aheadDepth+1),
		stop: make(chan struct{}), done: make(chan struct{})}
	for i := 0; i < aheadDepth+1; i++ {
		ra.free <- make([]byte, aheadChunk)
	}
	go ra.fill(r)
	return ra
}

func (ra *readAhead) fill(r io.Reader) {
	defer close(ra.done)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := io.ReadFull(r, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		select {
		case ra.chunks <- chunk{buf: buf, n: n, err: err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.err != nil {
			return 0, ra.err
		}
		if ra.curBuf != nil {
			ra.free <- ra.curBuf
			ra.curBuf = nil
		}
		c := <-ra.chunks
		ra.cur, ra.curBuf, ra.err = c.buf[:c.n], c.buf, c.err
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the goroutine and waits for it, so the underlying reader is
// no longer touched once Close returns.
func (ra *readAhead) Close() error {
	ra.once.Do(func() { close(ra.stop) })
	<-ra.done
	return nil
}
