package store

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Two locks coordinate processes sharing a root:
//   - "gc": writers that add content hold it shared (a lease) from their first
//     blob until the index names what they wrote; GC holds it exclusive, so it
//     never collects a blob that is about to become referenced.
//   - "index": held exclusive around every read-modify-write of images.json.
// flock locks die with the process, so a kill -9 never leaves a stale lock.

// Unlock releases a lock taken by the store.
type Unlock func()

func (s *Store) flock(name string, how int) (Unlock, error) {
	p := filepath.Join(s.root, "locks", name+".lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return func() { f.Close() }, nil
}

// Lease keeps GC away while the caller adds blobs and layers that the index
// does not reference yet. Release it after the index update.
func (s *Store) Lease() (Unlock, error) { return s.flock("gc", unix.LOCK_SH) }

func (s *Store) gcLock() (Unlock, error) { return s.flock("gc", unix.LOCK_EX) }

func (s *Store) indexLock() (Unlock, error) { return s.flock("index", unix.LOCK_EX) }

// Lock takes a named exclusive lock for engine parts with their own
// read-modify-write files (containers, volumes, build cache).
func (s *Store) Lock(name string) (Unlock, error) { return s.flock(name, unix.LOCK_EX) }
