package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"berth/engine/monitor"
	"berth/engine/snapshot"
)

// withRootfs gives fn the container's merged root filesystem: through the
// init's /proc/PID/root while it runs, or a short-lived overlay mount of its
// layers and upper dir while it is stopped (never both at once: one upper
// dir must not back two overlays).
func (e *Engine) withRootfs(ci ContainerInfo, fn func(root string) error) error {
	if running(ci.State) && ci.State.Pid > 0 {
		return fn("/proc/" + strconv.Itoa(ci.State.Pid) + "/root")
	}
	dir := e.containerDir(ci.Record.ID)
	var lowers []string
	for _, c := range ci.Record.Layers {
		lowers = append(lowers, e.Store.LayerDir(c))
	}
	ov, err := snapshot.Prepare(dir, lowers)
	if err != nil {
		return err
	}
	target := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	// Hold the state lock so a start cannot mount the same upper meanwhile.
	var ferr error
	_, err = monitor.UpdateState(dir, func(s *monitor.State) {
		if running(*s) {
			ferr = fmt.Errorf("container %s started meanwhile; try again", ci.Record.Name)
			return
		}
		if err := ov.Mount(target); err != nil {
			ferr = err
			return
		}
		defer unix.Unmount(target, unix.MNT_DETACH)
		ferr = fn(target)
	})
	if err != nil {
		return err
	}
	return ferr
}
