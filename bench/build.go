package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// benchDockerfile is the reference build: two stages, several RUNs and a
// COPY of 2,000 small files.
const benchDockerfile = `FROM busybox AS builder
COPY src/ /src/
RUN find /src -type f | wc -l > /count
RUN cat /src/d01/* | wc -c > /bytes
RUN mkdir -p /out && tar -cf /out/src.tar /src

FROM busybox
RUN echo setup > /setup.txt
COPY --from=builder /out/src.tar /app/src.tar
COPY --from=builder /count /bytes /app/
RUN ls -la /app > /app/listing
CMD ["cat", "/app/listing"]
`

// buildRows: a cold build (every step runs) and a rebuild with nothing
// changed, berth against buildah build --layers on its overlay storage.
func buildRows(bin, w string) []row {
	root := filepath.Join(w, "berth-build-root")
	ctx := filepath.Join(w, "buildctx")
	bdir := filepath.Join("/tmp", fmt.Sprintf("bbb%d", os.Getpid())) // short runroot
	atExit = append(atExit, func() {
		exec.Command("umount", "-R", bdir).Run()
		os.RemoveAll(bdir)
	})
	conf := filepath.Join(w, "buildah.conf")
	buildah := []string{"env", "CONTAINERS_CONF=" + conf, "buildah", "--root", filepath.Join(w, "buildah"),
		"--runroot", bdir, "--storage-driver", "overlay"}
	run := func(args ...string) error {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	ready := false
	setup := func() error {
		if ready {
			return nil
		}
		ready = true
		if err := storeSetup(); err != nil {
			return err
		}
		for d := 0; d < 20; d++ {
			dir := filepath.Join(ctx, "src", fmt.Sprintf("d%02d", d))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			for f := 0; f < 100; f++ {
				body := strings.Repeat(fmt.Sprintf("file %d of dir %d\n", f, d), 6)
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%03d.txt", f)), []byte(body), 0o644); err != nil {
					return err
				}
			}
		}
		if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(benchDockerfile), 0o644); err != nil {
			return err
		}
		archive := filepath.Join(w, "busybox-build.tar")
		if err := run(bin, "--root", filepath.Join(w, "berth-root"), "save", "-o", archive, "busybox"); err != nil {
			return err
		}
		if err := run(bin, "--root", root, "load", "-q", "-i", archive); err != nil {
			return err
		}
		if _, err := exec.LookPath("buildah"); err == nil {
			os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"), 0o644)
			out, err := exec.Command(buildah[0], append(buildah[1:], "pull", "-q", "docker-archive:"+archive)...).Output()
			if err != nil {
				return fmt.Errorf("buildah pull: %v", err)
			}
			if err := run(append(buildah, "tag", strings.TrimSpace(string(out)), "busybox")...); err != nil {
				return err
			}
		}
		// Warm both caches for the rebuild row.
		if err := run(bin, "--root", root, "build", "-q", "-t", "benchbuild", ctx); err != nil {
			return err
		}
		if _, err := exec.LookPath("buildah"); err == nil {
			return run(append(buildah, "build", "-q", "--layers", "--runtime", "runc", "-t", "benchbuild", ctx)...)
		}
		return nil
	}
	teardown := func() {
		run(append(buildah, "rmi", "-af")...)
		exec.Command("umount", "-R", bdir).Run()
		os.RemoveAll(bdir)
		exec.Command(bin, "--root", root, "__teardown-networks").Run()
	}
	buildahBuild := func(extra ...string) []string {
		return append(append(append([]string{}, buildah...), "build", "-q", "--layers", "--runtime", "runc"), append(extra, "-t", "benchbuild", ctx)...)
	}
	return []row{
		{
			name:  "build cold (2-stage, 5 RUN, 2000-file COPY)",
			setup: setup,
			berth: []string{bin, "--root", root, "build", "-q", "--no-cache", "-t", "benchbuild", ctx},
			peers: map[string][]string{"buildah build --layers --no-cache": buildahBuild("--no-cache")},
		},
		{
			name:     "build fully cached rebuild",
			setup:    setup,
			teardown: teardown,
			berth:    []string{bin, "--root", root, "build", "-q", "-t", "benchbuild", ctx},
			peers:    map[string][]string{"buildah build --layers": buildahBuild()},
		},
	}
}
