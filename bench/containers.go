package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"berth/engine/runtime"
	"berth/internal/fixture"
)

// containerRows: starting a container end to end, and exec into one,
// berth against podman (with runc, since crun refuses hybrid cgroups) and
// the bare OCI runtimes on an equivalent bundle.
func containerRows(bin, w string) []row {
	root := filepath.Join(w, "berth-root")
	prun := filepath.Join("/tmp", fmt.Sprintf("bpb%d", os.Getpid())) // podman: runroot under 50 chars
	atExit = append(atExit, func() {
		exec.Command("umount", "-R", prun).Run()
		os.RemoveAll(prun)
	})
	conf := filepath.Join(w, "containers.conf")
	bundle := filepath.Join(w, "bundle")
	podman := []string{"podman", "--root", filepath.Join(w, "podman"), "--runroot", prun, "--storage-driver", "overlay",
		"--cgroup-manager", "cgroupfs", "--events-backend", "file", "--runtime", "runc"}
	run := func(args ...string) error {
		c := exec.Command(args[0], args[1:]...)
		c.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	ready := false
	var setup func() error
	setup = func() error {
		if ready {
			return nil
		}
		ready = true
		layout := filepath.Join(w, "busybox")
		if err := fixture.Busybox(layout); err != nil {
			return err
		}
		if err := run(bin, "--root", root, "load", "-q", "-i", layout); err != nil {
			return err
		}
		// podman's default ulimits exceed a hard limit a host may hold.
		os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"), 0o644)
		if _, err := exec.LookPath("podman"); err == nil {
			archive := filepath.Join(w, "busybox.tar")
			if err := run(bin, "--root", root, "save", "-o", archive, "busybox"); err != nil {
				return err
			}
			if err := run(append(podman, "load", "-q", "-i", archive)...); err != nil {
				return err
			}
		}
		if err := os.MkdirAll(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
			return err
		}
		blobs, _ := filepath.Glob(filepath.Join(layout, "blobs/sha256/*"))
		for _, b := range blobs {
			if fi, _ := os.Stat(b); fi.Size() > 100000 {
				if err := run(bin, "__layer", "apply", b, filepath.Join(bundle, "rootfs")); err != nil {
					return err
				}
			}
		}
		spec := runtime.DefaultSpec([]string{"true"})
		spec.Process.Cwd = "/"
		b, _ := json.MarshalIndent(spec, "", "  ")
		return os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644)
	}
	ociRun := func(tool string) []string {
		if _, err := exec.LookPath(tool); err != nil {
			return []string{tool} // reported as not installed
		}
		return []string{"sh", "-c", tool + " run -b " + bundle + " $(mktemp -u XXXXXXXX)"}
	}
	storeSetup = setup
	return []row{
		{
			name:  "run --rm --network none busybox true",
			setup: setup,
			// --network none on both sides: the same work as podman's.
			berth: []string{bin, "--root", root, "run", "--rm", "--network", "none", "busybox", "true"},
			peers: map[string][]string{
				"podman run --rm": append(append([]string{"env", "CONTAINERS_CONF=" + conf}, podman...), "run", "--rm", "--network", "none", "busybox", "true"),
				"runc run":        ociRun("runc"),
				"crun run":        ociRun("crun"),
			},
		},
		{
			name:  "oci run (bundle) true",
			setup: setup,
			berth: []string{"sh", "-c", bin + " oci run -b " + bundle + " $(mktemp -u XXXXXXXX)"},
			peers: map[string][]string{"runc run": ociRun("runc"), "crun run": ociRun("crun")},
		},
		{
			name: "exec true",
			setup: func() error {
				if err := setup(); err != nil {
					return err
				}
				if err := run(bin, "--root", root, "run", "-d", "--name", "benchexec", "busybox", "sleep", "3600"); err != nil {
					return err
				}
				if _, err := exec.LookPath("podman"); err == nil {
					return run(append(podman, "run", "-d", "--network", "none", "--name", "benchexec", "busybox", "sleep", "3600")...)
				}
				return nil
			},
			teardown: func() {
				run(bin, "--root", root, "rm", "-f", "benchexec")
				run(append(podman, "rm", "-f", "-t", "0", "benchexec")...)
				run(append(podman, "rmi", "-af")...)
				run("umount", "-R", prun)
				os.RemoveAll(prun)
			},
			berth: []string{bin, "--root", root, "exec", "benchexec", "true"},
			peers: map[string][]string{
				"podman exec": append(append([]string{"env", "CONTAINERS_CONF=" + conf}, podman...), "exec", "benchexec", "true"),
			},
		},
	}
}

// storeSetup prepares the store the container rows share (busybox loaded).
var storeSetup func() error
