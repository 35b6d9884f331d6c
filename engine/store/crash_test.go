package store

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestHelperWriter is not a test: run as a child process by
// TestKillDuringWrites, it writes images into a store until killed.
func TestHelperWriter(t *testing.T) {
	root := os.Getenv("BERTH_CRASH_ROOT")
	if root == "" {
		t.Skip("helper process for TestKillDuringWrites")
	}
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		release, err := s.Lease()
		if err != nil {
			t.Fatal(err)
		}
		d := putImage(t, s, strconv.Itoa(os.Getpid())+"-"+strconv.Itoa(i))
		err = s.UpdateIndex(func(ix *Index) error {
			ix.Set(fmt.Sprintf("docker.io/library/crash:%d", i%7), d)
			return nil
		})
		release()
		if err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			s.GC(nil)
		}
	}
}

// TestKillDuringWrites kills writers with SIGKILL at random instants, many
// times, and checks the store opens cleanly each time with no reference to a
// missing blob.
func TestKillDuringWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("kill loop skipped in -short")
	}
	root := t.TempDir()
	rnd := rand.New(rand.NewSource(time.Now().UnixNano()))
	for round := 0; round < 25; round++ {
		var cmds []*exec.Cmd
		for w := 0; w < 2; w++ {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
			cmd.Env = append(os.Environ(), "BERTH_CRASH_ROOT="+root)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, cmd)
		}
		time.Sleep(time.Duration(20+rnd.Intn(80)) * time.Millisecond)
		for _, c := range cmds {
			c.Process.Signal(syscall.SIGKILL)
			c.Wait()
		}
		s, err := Open(root)
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		if errs := s.Check(); len(errs) > 0 {
			t.Fatalf("round %d: store inconsistent after kill -9: %v", round, errs)
		}
	}
	s, _ := Open(root)
	ix, _ := s.ReadIndex()
	if len(ix.Manifests) == 0 {
		t.Fatal("writers never committed an image: the test proved nothing")
	}
	if _, err := s.GC(nil); err != nil {
		t.Fatal(err)
	}
	if errs := s.Check(); len(errs) > 0 {
		t.Fatal(errs)
	}
}
