package network

import (
	"os"
	"sync"
	"testing"

	"berth/engine/store"
)

// Several berth processes starting the first containers of a store at once
// all reach EnsureBridge together; each must get the bridge, none may take a
// half-made one for a stranger's.
func TestEnsureBridgeConcurrent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a bridge")
	}
	s, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := New(s)
	t.Cleanup(m.Teardown)
	n, err := m.Get(DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := New(s).EnsureBridge(n); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
