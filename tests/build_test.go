package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// context writes a build context: name -> content.
func buildContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const runDockerfile = `FROM busybox AS tools
RUN echo tool > /tool.txt

FROM busybox
ARG GREETING=hello
ENV WHO=world
WORKDIR /work
RUN echo "$GREETING $WHO from $(pwd)" > /work/shell.txt
RUN ["/bin/sh", "-c", "echo exec form > /work/exec.txt"]
RUN <<EOF
echo heredoc script > /work/heredoc.txt
EOF
RUN cat > /work/inline.txt <<EOT
inline heredoc
EOT
RUN <<EOF
#!/usr/bin/awk -f
BEGIN { print "from awk" > "/work/shebang.txt" }
EOF
RUN rm /bin/dmesg
RUN echo "seen: $GREETING" > /work/arg.txt
RUN true
USER nobody
RUN id -un > /tmp/whoami.txt
USER root
SHELL ["/bin/sh", "-ec"]
RUN test "$0" = /bin/sh && echo shell-ok > /work/shellform.txt
RUN --network=none cat /proc/net/dev | grep -c : > /work/ifaces.txt
RUN --mount=type=cache,target=/cache echo run >> /cache/log && wc -l < /cache/log > /work/cachecount.txt || cat /cache/log | grep -c run > /work/cachecount.txt
RUN --mount=type=bind,source=data,target=/ctx cat /ctx/file > /work/bind.txt
RUN --mount=type=bind,from=tools,source=/tool.txt,target=/t.txt cat /t.txt > /work/fromstage.txt
RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && ls /scratch > /work/tmpfs.txt
CMD ["cat", "/work/shell.txt"]
`

func TestBuildRunSteps(t *testing.T) {
	e := newEnv(t)
	dir := buildContext(t, map[string]string{"Dockerfile": runDockerfile, "data/file": "bound from context\n"})
	out := e.ok("build", "-t", "runsteps", dir)
	if !strings.Contains(out, "Successfully tagged runsteps") {
		t.Fatalf("build output: %s", out)
	}
	got := e.ok("run", "--rm", "--network", "none", "runsteps", "sh", "-c",
		"cd /work && for f in shell exec heredoc inline shebang arg shellform ifaces cachecount bind fromstage tmpfs; do echo $f=$(cat $f.txt); done; cat /tmp/whoami.txt; ls /bin/dmesg 2>&1; ls -d /cache /ctx /t.txt /scratch 2>/dev/null | wc -l")
	for _, want := range []string{
		"shell=hello world from /work", "exec=exec form", "heredoc=heredoc script", "inline=inline heredoc", "shebang=from awk",
		"arg=seen: hello", "shellform=shell-ok", "ifaces=1", "cachecount=1", "bind=bound from context",
		"fromstage=tool", "tmpfs=x", "nobody",
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("image lacks %q:\n%s", want, got)
		}
	}
	if !strings.Contains(got, "No such file") {
		t.Errorf("/bin/dmesg deleted by a RUN is still there:\n%s", got)
	}
	// Mount points belong to the build, not to the image.
	if lines := strings.Split(strings.TrimSpace(got), "\n"); !strings.HasSuffix(lines[len(lines)-1], "0") {
		t.Errorf("mount targets leaked into the image:\n%s", got)
	}
	if strings.Contains(e.ok("image", "inspect", "--format", "{{.Config.Env}}", "runsteps"), "GREETING") {
		t.Error("an ARG reached the image's Env")
	}
	// A RUN that changes nothing records history without a layer.
	sawTrue := false
	for _, line := range strings.Split(strings.TrimSpace(e.ok("history", "--no-trunc", "--format", "{{json .}}", "runsteps")), "\n") {
		var h struct{ CreatedBy, Size string }
		if err := json.Unmarshal([]byte(line), &h); err != nil {
			t.Fatalf("history line %q: %v", line, err)
		}
		if h.CreatedBy == "RUN /bin/sh -c true" {
			sawTrue = true
			if h.Size != "0B" {
				t.Errorf("RUN true made a layer: %+v", h)
			}
		}
	}
	if !sawTrue {
		t.Error("history has no line for RUN true")
	}

	// Nothing changed: every step comes from the cache and nothing runs;
	// the cache mount's log proves no RUN executed.
	again := e.run("", "build", "--progress", "plain", "-t", "runsteps", dir)
	if again.code != 0 {
		t.Fatalf("rebuild: %s", again.err)
	}
	if n := strings.Count(again.err, "CACHED"); n != 17 {
		t.Errorf("rebuild: %d steps CACHED, want 17:\n%s", n, again.err)
	}
	for _, line := range strings.Split(again.err, "\n") {
		if f := strings.Fields(line); len(f) > 2 && strings.Contains(f[1], ".") && !strings.HasPrefix(f[1], "[") {
			t.Errorf("a step printed output on a cached rebuild: %q", line)
		}
	}
	// --no-cache runs everything again; the cache mount keeps its content.
	e.ok("build", "--no-cache", "-t", "runsteps2", dir)
	if got := e.ok("run", "--rm", "--network", "none", "runsteps2", "cat", "/work/cachecount.txt"); strings.TrimSpace(got) != "2" {
		t.Errorf("cache mount not persisted across builds: count %q", got)
	}
}

func TestBuildChangedSourceRerunsFromThatStep(t *testing.T) {
	e := newEnv(t)
	dir := buildContext(t, map[string]string{
		"a.txt": "a", "b.txt": "b",
		"Dockerfile": "FROM busybox\nCOPY a.txt /a.txt\nRUN cat /a.txt > /from-a\nCOPY b.txt /b.txt\nRUN cat /b.txt > /from-b\n",
	})
	e.ok("build", "-t", "chg", dir)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte("b2"), 0o644)
	r := e.run("", "build", "--progress", "plain", "-t", "chg", dir)
	if r.code != 0 {
		t.Fatal(r.err)
	}
	if n := strings.Count(r.err, "CACHED"); n != 2 {
		t.Errorf("after changing b.txt: %d steps cached, want 2 (COPY a, RUN a):\n%s", n, r.err)
	}
	if got := e.ok("run", "--rm", "--network", "none", "chg", "cat", "/from-b"); got != "b2" {
		t.Errorf("/from-b = %q", got)
	}
}

func TestBuildFailures(t *testing.T) {
	e := newEnv(t)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo ok > /ok\n"})
	e.ok("build", "-t", "stay:put", dir)
	before := e.ok("images", "-q", "--no-trunc", "stay:put")
	for df, wants := range map[string][]string{
		"FROM busybox\nRUN echo first line; echo second line >&2; exit 7\n": {"Dockerfile:2:", "exit code 7", "second line"},
		"FROM busybox\nCOPY missing.txt /x\n":                               {"Dockerfile:2:", "missing.txt"},
		"FROM busybox\nCOPY --from=nostage-here:v1 /a /b\n":                 {"Dockerfile:2:", "nostage-here"},
		"FROM busybox\nBOGUS thing\n":                                       {"Dockerfile:2:", "unknown instruction: BOGUS"},
		"FROM busybox\nRUN --mount=type=secret,id=x true\n":                 {"Dockerfile:2:", "secret"},
	} {
		os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644)
		r := e.run("", "build", "-t", "stay:put", dir)
		if r.code == 0 {
			t.Errorf("%q built", df)
			continue
		}
		msg := r.err[strings.LastIndex(r.err, "berth: "):]
		for _, w := range wants {
			if !strings.Contains(msg, w) {
				t.Errorf("%q: error %q lacks %q", df, msg, w)
			}
		}
	}
	if after := e.ok("images", "-q", "--no-trunc", "stay:put"); after != before {
		t.Errorf("a failed build moved the tag: %s -> %s", before, after)
	}
	if leftover, _ := filepath.Glob(filepath.Join(e.root, "tmp", "*")); len(leftover) > 0 {
		t.Errorf("failed builds left %v", leftover)
	}
}

const buildahDockerfile = `ARG BASE=busybox
FROM $BASE AS base
MAINTAINER someone@example.com
ENV GREETING="hi there" N=1
ARG BUILDONLY=x
LABEL org.example.name="demo" other=$GREETING
WORKDIR /app
COPY f.txt ./
COPY --chmod=0755 f.txt /usr/local/bin/
RUN echo "$GREETING $BUILDONLY" > /app/out.txt
EXPOSE 8080 9000/udp
VOLUME /data
USER 1000:1000
STOPSIGNAL SIGINT
SHELL ["/bin/sh", "-ec"]
HEALTHCHECK --interval=5s --timeout=2s --retries=2 CMD wget -q -O- localhost:8080 || exit 1
ONBUILD RUN echo triggered
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["cat /app/out.txt"]
`

// buildahCorpus: Dockerfiles whose image configs must equal buildah's
// (heredocs are left out: this buildah predates them).
var buildahCorpus = []struct {
	name, dockerfile string
	args             []string
	run              string // expected output of running the image, "" to skip
}{
	{"all-config", buildahDockerfile, nil, "hi there x\n"},
	{"entrypoint-resets-cmd", "FROM busybox\nENTRYPOINT [\"echo\", \"from-entrypoint\"]\n", nil, "from-entrypoint\n"},
	{"cmd-then-entrypoint", "FROM busybox\nCMD [\"kept\"]\nENTRYPOINT [\"echo\"]\n", nil, "kept\n"},
	{"shell-forms", "FROM busybox\nENV MSG=shell\nCMD echo $MSG form\nSTOPSIGNAL 9\nUSER nobody\nWORKDIR relative/dir\nWORKDIR ../up\n", nil, "shell form\n"},
	{"args", "ARG BASE=busybox\nARG V=1\nFROM $BASE\nARG V\nARG OTHER=default\nENV FROM_META=$V OTHER=$OTHER\nLABEL v=$V\nARG V=2\nENV SHADOW=$V\n",
		[]string{"--build-arg", "OTHER=cli"}, ""},
	{"multi-stage", "FROM busybox AS a\nENV STAGE=a\nRUN echo built-in-a > /a.txt\nFROM busybox\nCOPY --from=a /a.txt /\nVOLUME [\"/v1\", \"/v2\"]\nEXPOSE 53/udp 80\nCMD [\"cat\", \"/a.txt\"]\n", nil, "built-in-a\n"},
	{"healthcheck-none", "FROM busybox\nHEALTHCHECK CMD [\"true\"]\nHEALTHCHECK NONE\n", nil, ""},
}

// The image config must match what buildah makes of the same Dockerfile
// and context, field by field.
func TestBuildConfigMatchesBuildah(t *testing.T) {
	if _, err := exec.LookPath("buildah"); err != nil {
		t.Skip("buildah is not installed")
	}
	e := newEnv(t)
	ba := buildahFor(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	e.ok("save", "-o", archive, "busybox")
	img := strings.TrimSpace(ba("pull", "-q", "docker-archive:"+archive))
	ba("tag", img, "busybox")
	type config struct {
		Author string
		Config map[string]any `json:"config"`
	}
	for _, c := range buildahCorpus {
		t.Run(c.name, func(t *testing.T) {
			dir := buildContext(t, map[string]string{"Dockerfile": c.dockerfile, "f.txt": "file\n"})
			tag := "cmp-" + c.name
			e.ok(append(append([]string{"build", "-t", tag}, c.args...), dir)...)
			id := strings.TrimSpace(e.ok("image", "inspect", "--format", "{{.Id}}", tag))
			raw, err := os.ReadFile(filepath.Join(e.root, "blobs", "sha256", strings.TrimPrefix(id, "sha256:")))
			if err != nil {
				t.Fatal(err)
			}
			var ours config
			json.Unmarshal(raw, &ours)
			ba(append(append([]string{"build", "-q", "--layers", "--format", "docker", "--runtime", "runc", "-t", tag}, c.args...), dir)...)
			var theirs struct{ Docker config }
			if err := json.Unmarshal([]byte(ba("inspect", "--type", "image", tag)), &theirs); err != nil {
				t.Fatal(err)
			}
			bc := theirs.Docker.Config
			if labels, ok := bc["Labels"].(map[string]any); ok {
				delete(labels, "io.buildah.version")
			}
			// An empty value and an absent one mean the same to every
			// reader; buildah writes the empties, docker leaves them out.
			for _, f := range []string{"Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes",
				"Labels", "StopSignal", "Healthcheck", "OnBuild", "Shell"} {
				if !reflect.DeepEqual(orNil(ours.Config[f]), orNil(bc[f])) {
					t.Errorf("%s: berth %v, buildah %v", f, ours.Config[f], bc[f])
				}
			}
			if ours.Author != theirs.Docker.Author {
				t.Errorf("author: berth %q, buildah %q", ours.Author, theirs.Docker.Author)
			}
			if c.run != "" {
				if got := e.ok("run", "--rm", "--network", "none", tag); got != c.run {
					t.Errorf("run: %q, want %q", got, c.run)
				}
			}
		})
	}
}

func orNil(v any) any {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
	case []any:
		if len(x) == 0 {
			return nil
		}
	case map[string]any:
		if len(x) == 0 {
			return nil
		}
	}
	return v
}

// buildahFor runs buildah on a storage of its own.
func buildahFor(t *testing.T) func(args ...string) string { return containersTool(t, "buildah") }

// FROM an image the store lacks pulls it; --pull pulls even when present,
// and the built image can be pushed back.
func TestBuildPullsBase(t *testing.T) {
	e := newEnv(t)
	reg := startRegistry(t, "")
	base := reg.addr + "/base/busybox:v1"
	e.ok("tag", "busybox", base)
	e.ok("push", base)
	e.ok("rmi", base)
	fresh := &env{t: t, bin: e.bin, root: t.TempDir()}
	t.Cleanup(fresh.cleanup)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN echo built > /built\n"})
	fresh.ok("build", "-t", reg.addr+"/app/built:v1", dir)
	if got := fresh.ok("run", "--rm", "--network", "none", reg.addr+"/app/built:v1", "cat", "/built"); got != "built\n" {
		t.Errorf("run: %q", got)
	}
	r := fresh.run("", "build", "--pull", "--progress", "plain", "-t", reg.addr+"/app/built:v1", dir)
	if r.code != 0 {
		t.Fatalf("build --pull: %s", r.err)
	}
	fresh.ok("push", reg.addr+"/app/built:v1")
	e.ok("pull", reg.addr+"/app/built:v1")
	if got := e.ok("run", "--rm", "--network", "none", reg.addr+"/app/built:v1", "cat", "/built"); got != "built\n" {
		t.Errorf("pulled back: %q", got)
	}
}

// --network none gives every RUN only loopback; --progress tty draws the
// terminal view even into a pipe.
func TestBuildNetworkNoneAndTTYProgress(t *testing.T) {
	e := newEnv(t)
	dir := buildContext(t, map[string]string{"Dockerfile": "FROM busybox\nRUN grep -c : /proc/net/dev > /ifaces\n"})
	r := e.run("", "build", "--network", "none", "--progress", "tty", "-t", "nonet", dir)
	if r.code != 0 {
		t.Fatal(r.err)
	}
	if !strings.Contains(r.err, " => [stage-0 2/2] RUN grep") {
		t.Errorf("tty progress: %q", r.err)
	}
	if got := e.ok("run", "--rm", "--network", "none", "nonet", "cat", "/ifaces"); got != "1\n" {
		t.Errorf("interfaces seen by RUN with --network none: %q, want only lo", got)
	}
	if r := e.run("", "build", "--network", "bogus", dir); r.code != 125 || !strings.Contains(r.err, "--network") {
		t.Errorf("bad --network: exit %d %q", r.code, r.err)
	}
}

// The files a COPY-heavy Dockerfile makes (paths, modes, owners, sizes)
// must be buildah's: both images are listed from inside a container.
func TestBuildFilesMatchBuildah(t *testing.T) {
	if _, err := exec.LookPath("buildah"); err != nil {
		t.Skip("buildah is not installed")
	}
	e := newEnv(t)
	dir := buildContext(t, map[string]string{
		"a.txt": "A\n", "b.txt": "B\n", "dir/x": "X\n", "dir/sub/y": "Y\n",
		"Dockerfile": `FROM busybox
COPY a.txt /one/
COPY a.txt /renamed.txt
COPY dir /tree
COPY *.txt /globbed/
COPY a.txt b.txt /multi/
COPY --chmod=0700 a.txt /chmod.txt
COPY a.txt /tmp/
COPY link /followed
COPY dir/ /tree2/
COPY --chown=1234:5678 dir /owned
WORKDIR /w
COPY a.txt rel.txt
COPY dir/sub /usr/local/
ADD a.txt /added
RUN mkdir -p /made/deep && echo run > /made/deep/file && rm /bin/dmesg
`})
	os.MkdirAll(filepath.Join(dir, "dir", "empty"), 0o755)
	os.Symlink("a.txt", filepath.Join(dir, "link"))
	e.ok("build", "-t", "files:berth", dir)

	ba := buildahFor(t)
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	e.ok("save", "-o", archive, "busybox")
	ba("tag", strings.TrimSpace(ba("pull", "-q", "docker-archive:"+archive)), "busybox")
	ba("build", "-q", "--layers", "--format", "docker", "--runtime", "runc", "-t", "files", dir)
	theirs := filepath.Join(t.TempDir(), "theirs.tar")
	ba("push", "-q", "files", "docker-archive:"+theirs+":files:buildah")
	e.ok("load", "-q", "-i", theirs)

	const list = `find / -xdev \( -path /proc -o -path /sys -o -path /dev \) -prune -o -print | sort |
while read f; do stat -c "%n %A %u:%g %s" "$f"; done`
	ours := e.ok("run", "--rm", "--network", "none", "files:berth", "sh", "-c", list)
	want := e.ok("run", "--rm", "--network", "none", "files:buildah", "sh", "-c", list)
	// buildah leaves the /run it mounts for RUN (for .containerenv) in the
	// layer; docker does not, and neither does berth.
	if !strings.Contains(ours, "\n/run ") {
		want = strings.Replace(want, "/run drwxr-xr-x 0:0 4096\n", "", 1)
	}
	if ours != want {
		ol, wl := strings.Split(ours, "\n"), strings.Split(want, "\n")
		for i := 0; i < max(len(ol), len(wl)); i++ {
			var o, w string
			if i < len(ol) {
				o = ol[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if o != w {
				t.Errorf("first difference at line %d:\n berth:   %s\n buildah: %s", i+1, o, w)
				break
			}
		}
	}
	if !strings.Contains(ours, "/owned/sub/y -rw-r--r-- 1234:5678") || strings.Contains(ours, "/bin/dmesg ") {
		t.Errorf("listing misses the chown or the deletion:\n%s", ours)
	}
}
