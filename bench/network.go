package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// networkRows: TCP throughput into a container through a published port
// (berth's proxy) against straight to its bridge address, and container
// start with and without networking.
func networkRows(bin, w string) []row {
	root := filepath.Join(w, "berth-root") // shares containerRows' store
	nc := "/bin/busybox nc"
	var ip string
	var port string
	setup := func() error {
		if err := storeSetup(); err != nil {
			return err
		}
		c := exec.Command(bin, "--root", root, "run", "-d", "--name", "sink", "-p", "127.0.0.1::5001", "busybox",
			"nc", "-ll", "-p", "5001", "-e", "sh", "-c", "cat >/dev/null")
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("sink: %v %s", err, out)
		}
		out, err := exec.Command(bin, "--root", root, "port", "sink", "5001").Output()
		if err != nil {
			return err
		}
		port = strings.TrimSpace(string(out))
		out, err = exec.Command(bin, "--root", root, "exec", "sink", "sh", "-c", "ip -4 addr show eth0 | grep -o 'inet [0-9.]*' | cut -d' ' -f2").Output()
		if err != nil {
			return err
		}
		ip = strings.TrimSpace(string(out))
		return nil
	}
	return []row{
		{
			name:     "TCP 512MB host->container",
			setup:    setup,
			teardown: func() { exec.Command(bin, "--root", root, "rm", "-f", "sink").Run() },
			berth:    []string{"sh", "-c", "dd if=/dev/zero bs=1M count=512 2>/dev/null | " + nc + " -w 1 $(echo $0 | tr : ' ')", "PUBLISHED"},
			peers:    map[string][]string{"direct to container IP": {"sh", "-c", "dd if=/dev/zero bs=1M count=512 2>/dev/null | " + nc + " -w 1 $0 5001", "DIRECTIP"}},
			subst:    func() map[string]string { return map[string]string{"PUBLISHED": port, "DIRECTIP": ip} },
		},
		{
			name:  "run --rm true: bridge vs none",
			setup: func() error { return storeSetup() },
			berth: []string{bin, "--root", root, "run", "--rm", "busybox", "true"},
			peers: map[string][]string{"--network none": {bin, "--root", root, "run", "--rm", "--network", "none", "busybox", "true"}},
		},
	}
}
