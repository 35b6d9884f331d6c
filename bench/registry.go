package main

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/klauspost/pgzip"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// registryRows: pulling and pushing a ~400 MB two-layer image (one
// incompressible, one text) through a local registry.
func registryRows(bin, w string) []row {
	if _, err := exec.LookPath("docker-registry"); err != nil {
		fmt.Fprintln(os.Stderr, "bench: docker-registry not installed; registry rows skipped")
		return nil
	}
	var reg *exec.Cmd
	var addr string
	regData := filepath.Join(w, "registry")
	layout := filepath.Join(w, "big-layout")
	root := filepath.Join(w, "berth-reg-root")
	pullRoot := filepath.Join(w, "berth-pull-root")
	ociOut := filepath.Join(w, "skopeo-oci")
	conf := filepath.Join(w, "containers.conf")
	prun := filepath.Join("/tmp", fmt.Sprintf("bpr%d", os.Getpid()))
	podman := []string{"env", "CONTAINERS_CONF=" + conf, "podman", "--root", filepath.Join(w, "podman-reg"), "--runroot", prun,
		"--storage-driver", "overlay", "--cgroup-manager", "cgroupfs", "--events-backend", "file"}
	startReg := func(fresh bool) error {
		if reg != nil {
			reg.Process.Kill()
			reg.Wait()
		}
		if fresh {
			os.RemoveAll(regData)
		}
		if addr == "" {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			addr = l.Addr().String()
			l.Close()
		}
		cfg := filepath.Join(w, "registry.yml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", regData, addr)), 0o644)
		reg = exec.Command("docker-registry", "serve", cfg)
		if err := reg.Start(); err != nil {
			return err
		}
		for i := 0; i < 200; i++ {
			if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
				resp.Body.Close()
				return nil
			}
			time.Sleep(25 * time.Millisecond)
		}
		return fmt.Errorf("registry did not start")
	}
	run := func(args ...string) error {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			return fmt.Errorf("%v: %v: %s", args, err, out)
		}
		return nil
	}
	ref := func() string { return addr + "/bench/big:v1" }
	ready := false
	setup := func() error {
		if ready {
			return nil
		}
		ready = true
		os.WriteFile(conf, []byte("[containers]\ndefault_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]\n"), 0o644)
		if err := makeBigLayout(layout); err != nil {
			return err
		}
		if err := startReg(true); err != nil {
			return err
		}
		if err := run(bin, "--root", root, "load", "-q", "-i", layout); err != nil {
			return err
		}
		if err := run(bin, "--root", root, "tag", "bench/big:v1", ref()); err != nil {
			return err
		}
		return run(bin, "--root", root, "push", "-q", ref())
	}
	teardown := func() {
		if reg != nil {
			reg.Process.Kill()
			reg.Wait()
			reg = nil
		}
		exec.Command("umount", "-R", prun).Run()
		os.RemoveAll(prun)
	}
	pullPeers := map[string][]string{}
	pushPeers := map[string][]string{}
	rows := []row{
		{
			name:  "pull 400MB image",
			setup: setup,
			reset: func() error {
				os.RemoveAll(pullRoot)
				os.RemoveAll(ociOut)
				exec.Command(podman[0], append(podman[1:], "rmi", "-af")...).Run()
				return nil
			},
			berth: []string{"sh", "-c", bin + " --root " + pullRoot + " pull -q $0", "REF"},
			peers: pullPeers,
		},
		{
			name:     "push 400MB image",
			setup:    setup,
			reset:    func() error { return startReg(true) },
			teardown: teardown,
			berth:    []string{"sh", "-c", bin + " --root " + root + " push -q $0", "REF"},
			peers:    pushPeers,
		},
	}
	// The reference is only known after setup picks a port: the commands
	// read it when they run.
	for _, r := range rows {
		r.berth[len(r.berth)-1] = "REF"
	}
	if _, err := exec.LookPath("podman"); err == nil {
		pullPeers["podman pull"] = append(append([]string{}, podman...), "pull", "-q", "--tls-verify=false", "REF")
	}
	pullPeers["skopeo copy (to OCI dir)"] = []string{"skopeo", "copy", "-q", "--src-tls-verify=false", "docker://REF", "oci:" + ociOut + ":v1"}
	pushPeers["skopeo copy (from OCI dir)"] = []string{"skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://REF"}
	refFn = ref
	return rows
}

// refFn resolves the "REF" placeholder in commands at run time.
var refFn func() string

// makeBigLayout writes a two-layer image: 200 MB of random bytes and
// 200 MB of text, gzip-compressed, as an OCI layout tagged bench/big:v1.
func makeBigLayout(dir string) error {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}
	rnd := rand.New(rand.NewSource(7))
	var layers []ocispec.Descriptor
	var diffIDs []digest.Digest
	for i, kind := range []string{"random", "text"} {
		tmp := filepath.Join(dir, "layer.tmp")
		f, err := os.Create(tmp)
		if err != nil {
			return err
		}
		cd := digest.SHA256.Digester()
		ud := digest.SHA256.Digester()
		zw := pgzip.NewWriter(io.MultiWriter(f, cd.Hash()))
		tw := tar.NewWriter(io.MultiWriter(zw, ud.Hash()))
		const size = 200 << 20
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("data%d", i), Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
		bw := bufio.NewWriterSize(tw, 1<<20)
		if kind == "random" {
			io.CopyN(bw, rnd, size)
		} else {
			line := []byte("the quick brown fox jumps over the lazy dog 0123456789\n")
			for n := 0; n < size; n += len(line) {
				bw.Write(line[:min(len(line), size-n)])
			}
		}
		bw.Flush()
		tw.Close()
		zw.Close()
		fi, _ := f.Stat()
		f.Close()
		d := cd.Digest()
		if err := os.Rename(tmp, filepath.Join(blobs, d.Encoded())); err != nil {
			return err
		}
		layers = append(layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: d, Size: fi.Size()})
		diffIDs = append(diffIDs, ud.Digest())
	}
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}})
	put := func(b []byte) digest.Digest {
		d := digest.FromBytes(b)
		os.WriteFile(filepath.Join(blobs, d.Encoded()), b, 0o644)
		return d
	}
	m := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: put(cfg), Size: int64(len(cfg))}, Layers: layers}
	m.SchemaVersion = 2
	mb, _ := json.Marshal(m)
	ix := ocispec.Index{Manifests: []ocispec.Descriptor{{MediaType: m.MediaType, Digest: put(mb), Size: int64(len(mb)),
		Annotations: map[string]string{ocispec.AnnotationRefName: "v1", "io.containerd.image.name": "docker.io/bench/big:v1"}}}}
	ix.SchemaVersion = 2
	ib, _ := json.Marshal(ix)
	os.WriteFile(filepath.Join(dir, "index.json"), ib, 0o644)
	return os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644)
}
