package build

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"berth/engine"
	"berth/internal/fixture"
)

var bg = context.Background()

// testEngine is a store of its own with the busybox fixture loaded.
func testEngine(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Load(bg, fixture.BusyboxLayout(t)); err != nil {
		t.Fatal(err)
	}
	return e
}

// writeContext makes a build context from name -> content; a name ending
// in / is a directory.
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type built struct {
	res Result
	cfg imageConfig
	v   view
	ev  []Event
}

func doBuild(t *testing.T, e *engine.Engine, dir string, o Options) (built, error) {
	t.Helper()
	var out built
	o.ContextDir = dir
	o.Progress = func(ev Event) { out.ev = append(out.ev, ev) }
	res, err := Build(bg, e, o)
	out.res = res
	if err != nil {
		return out, err
	}
	im, err := e.ResolveImage(bg, res.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if out.cfg, err = parseConfig(im.RawCfg); err != nil {
		t.Fatal(err)
	}
	chains := im.ChainIDs()
	for i := len(chains) - 1; i >= 0; i-- {
		out.v.dirs = append(out.v.dirs, e.Store.LayerDir(chains[i]))
	}
	return out, nil
}

func mustBuild(t *testing.T, e *engine.Engine, dir string, o Options) built {
	t.Helper()
	b, err := doBuild(t, e, dir, o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (b built) read(t *testing.T, p string) string {
	t.Helper()
	host, _, err := b.v.stat(strings.TrimPrefix(p, "/"))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	data, err := os.ReadFile(host)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func (b built) exists(p string) bool {
	_, _, err := b.v.lstat(strings.TrimPrefix(p, "/"))
	return err == nil
}

func (b built) mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	_, fi, err := b.v.lstat(strings.TrimPrefix(p, "/"))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return fi.Mode()
}

func TestConfigInstructions(t *testing.T) {
	e := testEngine(t)
	dir := writeContext(t, map[string]string{"Dockerfile": `
FROM busybox
MAINTAINER someone@example.com
ENV A=1 B="two words"
ENV C=$A-${B:-x}
LABEL version="1.0" "with space"=yes
EXPOSE 80 53/udp 8000-8001
VOLUME /data /logs
VOLUME ["/more"]
WORKDIR /srv
WORKDIR sub
USER nobody
SHELL ["/bin/sh", "-ec"]
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=30s --timeout=3s --start-period=1s --retries=4 CMD wget -q localhost || exit 1
ONBUILD COPY . /app
ENTRYPOINT ["/bin/app"]
CMD serve --help
`})
	b := mustBuild(t, e, dir, Options{Tags: []string{"cfg:1"}})
	c := b.cfg.Config
	if !slices.Contains(c.Env, "A=1") || !slices.Contains(c.Env, "B=two words") || !slices.Contains(c.Env, "C=1-two words") {
		t.Errorf("Env = %q", c.Env)
	}
	if c.Labels["version"] != "1.0" || c.Labels["with space"] != "yes" {
		t.Errorf("Labels = %v", c.Labels)
	}
	for _, p := range []string{"80/tcp", "53/udp", "8000/tcp", "8001/tcp"} {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("ExposedPorts lacks %s: %v", p, c.ExposedPorts)
		}
	}
	for _, v := range []string{"/data", "/logs", "/more"} {
		if _, ok := c.Volumes[v]; !ok {
			t.Errorf("Volumes lacks %s: %v", v, c.Volumes)
		}
	}
	if c.WorkingDir != "/srv/sub" || c.User != "nobody" || c.StopSignal != "SIGQUIT" {
		t.Errorf("WorkingDir %q User %q StopSignal %q", c.WorkingDir, c.User, c.StopSignal)
	}
	if !slices.Equal(c.Shell, []string{"/bin/sh", "-ec"}) {
		t.Errorf("Shell = %q", c.Shell)
	}
	if !slices.Equal(c.Entrypoint, []string{"/bin/app"}) || !slices.Equal(c.Cmd, []string{"/bin/sh", "-ec", "serve --help"}) {
		t.Errorf("Entrypoint %q Cmd %q", c.Entrypoint, c.Cmd)
	}
	hc := c.Healthcheck
	if hc == nil || hc.Retries != 4 || hc.Interval.Seconds() != 30 || hc.Timeout.Seconds() != 3 ||
		!slices.Equal(hc.Test, []string{"CMD-SHELL", "wget -q localhost || exit 1"}) {
		t.Errorf("Healthcheck = %+v", hc)
	}
	if !slices.Equal(c.OnBuild, []string{"COPY . /app"}) {
		t.Errorf("OnBuild = %q", c.OnBuild)
	}
	if b.cfg.Author != "someone@example.com" {
		t.Errorf("Author = %q", b.cfg.Author)
	}
	if fi := b.mode(t, "/srv/sub"); !fi.IsDir() {
		t.Errorf("WORKDIR did not create /srv/sub: %v", fi)
	}
	last := b.cfg.History[len(b.cfg.History)-1]
	if last.CreatedBy != `CMD ["/bin/sh","-ec","serve --help"]` || !last.EmptyLayer {
		t.Errorf("last history = %+v", last)
	}
}

func TestEntrypointDropsBaseCmd(t *testing.T) {
	e := testEngine(t)
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nENTRYPOINT [\"echo\"]\n"})
	b := mustBuild(t, e, dir, Options{})
	if b.cfg.Config.Cmd != nil {
		t.Errorf("Cmd = %q, want none: an ENTRYPOINT resets the base image's CMD", b.cfg.Config.Cmd)
	}
}

func TestArgScoping(t *testing.T) {
	e := testEngine(t)
	dir := writeContext(t, map[string]string{"Dockerfile": `
ARG BASE=nothing
ARG VERSION=1.0
FROM ${BASE}
ARG VERSION
ARG LOCAL=local-default
ARG UNSET
ENV FROM_ARG=$VERSION LOCAL_SEEN=$LOCAL UNSET_SEEN=${UNSET:-empty}
ARG LOCAL=second
ENV LOCAL=from-env
ENV SHADOW=$LOCAL
LABEL arch=$TARGETARCH
ARG TARGETARCH
LABEL arch2=$TARGETARCH
`})
	b, err := doBuild(t, e, dir, Options{BuildArgs: map[string]string{"BASE": "busybox", "LOCAL": "cli", "STRAY": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	env := b.cfg.Config.Env
	for _, want := range []string{"FROM_ARG=1.0", "LOCAL_SEEN=cli", "UNSET_SEEN=empty", "SHADOW=from-env"} {
		if !slices.Contains(env, want) {
			t.Errorf("Env lacks %s: %q", want, env)
		}
	}
	if b.cfg.Config.Labels["arch"] != "" || b.cfg.Config.Labels["arch2"] == "" {
		t.Errorf("TARGETARCH must need an ARG in the stage: %v", b.cfg.Config.Labels)
	}
	if len(b.res.Warnings) != 1 || !strings.Contains(b.res.Warnings[0], "STRAY") {
		t.Errorf("warnings = %q, want one naming the unused STRAY", b.res.Warnings)
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "VERSION=") || strings.HasPrefix(kv, "BASE=") {
			t.Errorf("an ARG leaked into the image's Env: %s", kv)
		}
	}
}

func TestCopySemantics(t *testing.T) {
	e := testEngine(t)
	dir := writeContext(t, map[string]string{
		"a.txt": "A", "b.txt": "B", "c.md": "C",
		"dir/x": "X", "dir/sub/y": "Y", "dir/empty/": "",
		"Dockerfile": `
FROM busybox
COPY a.txt /one/
COPY a.txt /renamed.txt
COPY dir /tree
COPY *.txt /globbed/
COPY a.txt b.txt /multi/
COPY --chmod=0700 a.txt /chmod.txt
COPY a.txt /tmp/
COPY link /followed
WORKDIR /w
COPY a.txt rel.txt
COPY <<EOF /here.txt
line one
EOF
`})
	os.Symlink("a.txt", filepath.Join(dir, "link"))
	b := mustBuild(t, e, dir, Options{})
	for p, want := range map[string]string{
		"/one/a.txt": "A", "/renamed.txt": "A", "/tree/x": "X", "/tree/sub/y": "Y",
		"/globbed/a.txt": "A", "/globbed/b.txt": "B", "/multi/a.txt": "A", "/multi/b.txt": "B",
		"/tmp/a.txt": "A", "/w/rel.txt": "A", "/here.txt": "line one\n", "/followed": "A",
	} {
		if got := b.read(t, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if b.exists("/globbed/c.md") || b.exists("/tree/dir") {
		t.Error("glob or directory copy took too much")
	}
	if !b.exists("/tree/empty") {
		t.Error("an empty directory was not copied")
	}
	if m := b.mode(t, "/chmod.txt"); m.Perm() != 0o700 {
		t.Errorf("--chmod: mode %v", m)
	}
	if m := b.mode(t, "/followed"); !m.IsRegular() {
		t.Errorf("a symlink named as the source must be followed: %v", m)
	}
	// Passing through /tmp must not change it.
	if m := b.mode(t, "/tmp"); m&fs.ModeSticky == 0 || m.Perm() != 0o777 {
		t.Errorf("/tmp became %v after COPY into it", m)
	}
	if os.Geteuid() == 0 {
		_, fi, _ := b.v.lstat("one/a.txt")
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 || st.Gid != 0 {
			t.Errorf("context files must become root's: %d:%d", st.Uid, st.Gid)
		}
	}

	bad := writeContext(t, map[string]string{"a": "", "b": "", "Dockerfile": "FROM busybox\nCOPY a b /notadir\n"})
	if _, err := doBuild(t, e, bad, Options{}); err == nil || !strings.Contains(err.Error(), "Dockerfile:2:") {
		t.Errorf("several sources into a non-directory: err = %v", err)
	}
}

func TestCopyChown(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: files owned by other users")
	}
	e := testEngine(t)
	dir := writeContext(t, map[string]string{"f": "F", "Dockerfile": `
FROM busybox
COPY --chown=1234:5678 f /numeric
COPY --chown=nobody f /byname
COPY --chown=42 f /uidonly
`})
	b := mustBuild(t, e, dir, Options{})
	for p, want := range map[string][2]uint32{"numeric": {1234, 5678}, "uidonly": {42, 42}} {
		_, fi, _ := b.v.lstat(p)
		st := fi.Sys().(*syscall.Stat_t)
		if st.Uid != want[0] || st.Gid != want[1] {
			t.Errorf("%s owned by %d:%d, want %v", p, st.Uid, st.Gid, want)
		}
	}
	_, fi, _ := b.v.lstat("byname")
	if st := fi.Sys().(*syscall.Stat_t); st.Uid == 0 {
		t.Errorf("--chown=nobody left the file root's")
	}
}

func TestDockerignore(t *testing.T) {
	e := testEngine(t)
	dir := writeContext(t, map[string]string{
		"keep.txt": "k", "secret.key": "s", "logs/a.log": "a", "logs/important.log": "i",
		".dockerignore": "*.key\nlogs\n!logs/important.log\n",
		"Dockerfile":    "FROM busybox\nCOPY . /ctx/\n",
	})
	b := mustBuild(t, e, dir, Options{})
	if !b.exists("/ctx/keep.txt") || b.exists("/ctx/secret.key") || b.exists("/ctx/logs/a.log") {
		t.Errorf("ignore rules not applied: keep %v secret %v a.log %v", b.exists("/ctx/keep.txt"), b.exists("/ctx/secret.key"), b.exists("/ctx/logs/a.log"))
	}
	if b.read(t, "/ctx/logs/important.log") != "i" {
		t.Error("a ! exception was not brought back")
	}
	// An ignored file named explicitly is "not found", with the line.
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nCOPY secret.key /\n"), 0o644)
	_, err := doBuild(t, e, dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "Dockerfile:2:") || !strings.Contains(err.Error(), "secret.key") {
		t.Errorf("COPY of an ignored file: err = %v", err)
	}
	// Dockerfile.dockerignore beside the Dockerfile wins over .dockerignore.
	os.WriteFile(filepath.Join(dir, "other.Dockerfile"), []byte("FROM busybox\nCOPY . /ctx/\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "other.Dockerfile.dockerignore"), []byte("keep.txt\n"), 0o644)
	b = mustBuild(t, e, dir, Options{Dockerfile: filepath.Join(dir, "other.Dockerfile")})
	if b.exists("/ctx/keep.txt") || !b.exists("/ctx/secret.key") {
		t.Error("Dockerfile.dockerignore was not the one used")
	}
}

func TestCacheAndInvalidation(t *testing.T) {
	e := testEngine(t)
	dir := writeContext(t, map[string]string{"a": "1", "b": "2", "Dockerfile": `
FROM busybox
COPY a /a
ENV X=1
COPY b /b
LABEL after=b
`})
	first := mustBuild(t, e, dir, Options{Tags: []string{"c:1"}})
	if first.res.Steps != 2 || first.res.Cached != 0 {
		t.Fatalf("cold build: steps %d cached %d", first.res.Steps, first.res.Cached)
	}
	// A rebuild with nothing changed runs nothing and writes nothing.
	before := time.Now()
	time.Sleep(20 * time.Millisecond)
	again := mustBuild(t, e, dir, Options{Tags: []string{"c:1"}})
	if again.res.Steps != 0 || again.res.Cached != 2 || again.res.ID != first.res.ID {
		t.Fatalf("rebuild: steps %d cached %d id %s (was %s)", again.res.Steps, again.res.Cached, again.res.ID, first.res.ID)
	}
	filepath.WalkDir(e.Store.Root(), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil && fi.ModTime().After(before) {
			t.Errorf("the cached rebuild wrote %s", p)
		}
		return nil
	})
	// A new mtime is not a change.
	old := first.cfg.Created.AddDate(-1, 0, 0)
	os.Chtimes(filepath.Join(dir, "b"), old, old)
	if r := mustBuild(t, e, dir, Options{}); r.res.Steps != 0 {
		t.Errorf("touching a file re-ran %d steps", r.res.Steps)
	}
	// Changing b re-runs only its COPY (and what follows).
	os.WriteFile(filepath.Join(dir, "b"), []byte("changed"), 0o644)
	r := mustBuild(t, e, dir, Options{})
	if r.res.Steps != 1 || r.res.Cached != 1 || r.read(t, "/b") != "changed" {
		t.Errorf("after changing b: steps %d cached %d", r.res.Steps, r.res.Cached)
	}
	// A mode change is a change.
	os.Chmod(filepath.Join(dir, "a"), 0o600)
	if r := mustBuild(t, e, dir, Options{}); r.res.Steps != 2 {
		t.Errorf("after chmod a: %d steps ran, want 2", r.res.Steps)
	}
	if r := mustBuild(t, e, dir, Options{NoCache: true}); r.res.Steps != 2 || r.res.Cached != 0 {
		t.Errorf("--no-cache: steps %d cached %d", r.res.Steps, r.res.Cached)
	}
	// The cache survives GC and goes with builder prune.
	if _, err := e.GC(bg); err != nil {
		t.Fatal(err)
	}
	if r := mustBuild(t, e, dir, Options{}); r.res.Steps != 0 {
		t.Errorf("after GC: %d steps ran", r.res.Steps)
	}
	if _, _, err := e.PruneBuildCache(bg); err != nil {
		t.Fatal(err)
	}
	if r := mustBuild(t, e, dir, Options{}); r.res.Steps != 2 {
		t.Errorf("after builder prune: %d steps ran, want 2", r.res.Steps)
	}
}

func TestMultiStage(t *testing.T) {
	e := testEngine(t)
	dir := writeContext(t, map[string]string{"f": "from-context", "Dockerfile": `
FROM busybox AS one
COPY f /built
FROM busybox AS unused
COPY missing-file /x
FROM scratch AS final
COPY --from=one /built /result
COPY --from=0 /built /by-index
COPY --from=busybox /bin/busybox /busybox
`})
	b := mustBuild(t, e, dir, Options{})
	if b.read(t, "/result") != "from-context" || b.read(t, "/by-index") != "from-context" || !b.exists("/busybox") {
		t.Error("files from other stages or an image are missing")
	}
	if len(b.cfg.RootFS.DiffIDs) != 3 {
		t.Errorf("scratch image has %d layers, want 3", len(b.cfg.RootFS.DiffIDs))
	}
	t1 := mustBuild(t, e, dir, Options{Target: "one"})
	if t1.read(t, "/built") != "from-context" {
		t.Error("--target one")
	}
	if _, err := doBuild(t, e, dir, Options{Target: "nope"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown target: %v", err)
	}
	if _, err := doBuild(t, e, dir, Options{Target: "unused"}); err == nil || !strings.Contains(err.Error(), "missing-file") {
		t.Errorf("the unused stage must fail when it is the target: %v", err)
	}
}

func TestFailureKeepsTag(t *testing.T) {
	e := testEngine(t)
	dir := writeContext(t, map[string]string{"a": "1", "Dockerfile": "FROM busybox\nCOPY a /a\n"})
	good := mustBuild(t, e, dir, Options{Tags: []string{"keep:me"}})
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nCOPY a /a\nCOPY gone /gone\n"), 0o644)
	_, err := doBuild(t, e, dir, Options{Tags: []string{"keep:me"}})
	var de *Error
	if !errors.As(err, &de) || de.Line != 3 || !strings.Contains(err.Error(), "gone") {
		t.Fatalf("err = %v, want Dockerfile:3 naming gone", err)
	}
	im, err := e.ResolveImage(bg, "keep:me")
	if err != nil || im.ID != good.res.ID {
		t.Errorf("the tag moved after a failed build: %v %v", im, err)
	}
	for _, df := range []string{"FROM busybox\nNOPE x\n", "FROM busybox\nCOPY --bogus=1 a /\n", "FROM busybox\nEXPOSE 99999\n", "FROM busybox\nSTOPSIGNAL SIGNOPE\n"} {
		os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644)
		if _, err := doBuild(t, e, dir, Options{}); err == nil || !strings.Contains(err.Error(), "Dockerfile:2:") {
			t.Errorf("%q: err = %v", df, err)
		}
	}
}

func TestAddArchiveAndURL(t *testing.T) {
	e := testEngine(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Write([]byte("remote body"))
	}))
	defer srv.Close()
	sum := digest.FromString("remote body")
	dir := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD pkg.tar.gz /opt/\nADD --checksum=" + sum.String() + " " + srv.URL + "/file.txt /dl/\nADD " + srv.URL + "/x /named\n"})
	writeTarGz(t, filepath.Join(dir, "pkg.tar.gz"), map[string]string{"pkg/readme": "inside", "../../escape": "no"})
	b := mustBuild(t, e, dir, Options{})
	if b.read(t, "/opt/pkg/readme") != "inside" || b.read(t, "/dl/file.txt") != "remote body" || b.read(t, "/named") != "remote body" {
		t.Error("ADD did not unpack the archive or fetch the URL")
	}
	if !b.exists("/opt/escape") || b.exists("/escape") {
		t.Error("an archive entry with .. must land inside the destination")
	}
	if m := b.mode(t, "/named"); m.Perm() != 0o600 {
		t.Errorf("downloaded file mode %v, want 0600", m)
	}
	bad := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nADD --checksum=" + digest.FromString("other").String() + " " + srv.URL + "/f /f\n"})
	if _, err := doBuild(t, e, bad, Options{}); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("checksum mismatch: %v", err)
	}
}

// Builds of one context racing in one store both succeed with the same
// image; the second process's steps may or may not hit the cache.
func TestConcurrentBuilds(t *testing.T) {
	e := testEngine(t)
	files := map[string]string{"Dockerfile": "FROM busybox\nCOPY . /ctx/\nWORKDIR /w\nCOPY a /w/\n", "a": "a"}
	for i := range 200 {
		files["many/f"+string(rune('a'+i%26))+strings.Repeat("x", i/26)] = strings.Repeat("y", i)
	}
	dir := writeContext(t, files)
	const n = 4
	ids := make(chan digest.Digest, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			e2, err := engine.Open(e.Store.Root())
			if err != nil {
				errs <- err
				return
			}
			res, err := Build(bg, e2, Options{ContextDir: dir, Tags: []string{"race:1"}})
			if err != nil {
				errs <- err
				return
			}
			ids <- res.ID
		}()
	}
	// Each build stamps its own times, so the IDs may differ; every image
	// must be whole.
	for range n {
		select {
		case err := <-errs:
			t.Fatal(err)
		case id := <-ids:
			assertWhole(t, e, id.String())
		}
	}
	if errs := e.Store.Check(); len(errs) > 0 {
		t.Errorf("store after concurrent builds: %v", errs)
	}
	r := mustBuild(t, e, dir, Options{})
	if r.res.Steps != 0 {
		t.Errorf("after the race a rebuild ran %d steps", r.res.Steps)
	}
	assertWhole(t, e, r.res.ID.String())
}

// assertWhole checks that every layer an image names is unpacked.
func assertWhole(t *testing.T, e *engine.Engine, ref string) {
	t.Helper()
	im, err := e.ResolveImage(bg, ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range im.ChainIDs() {
		if _, ok := e.Store.Layer(c); !ok {
			t.Errorf("image %s names layer %s, which is not in the store", ref, c)
		}
	}
}

// A base image's ONBUILD triggers run at the start of a child build, in
// the child's context, and are not inherited further.
func TestOnbuildTriggers(t *testing.T) {
	e := testEngine(t)
	parent := writeContext(t, map[string]string{"Dockerfile": "FROM busybox\nONBUILD COPY . /app/\nONBUILD LABEL from=trigger\n"})
	mustBuild(t, e, parent, Options{Tags: []string{"parent:1"}})
	child := writeContext(t, map[string]string{"Dockerfile": "FROM parent:1\nLABEL own=yes\n", "code.txt": "child code"})
	b := mustBuild(t, e, child, Options{})
	if b.read(t, "/app/code.txt") != "child code" {
		t.Error("the ONBUILD COPY did not copy the child's context")
	}
	if b.cfg.Config.Labels["from"] != "trigger" || b.cfg.Config.Labels["own"] != "yes" {
		t.Errorf("labels %v", b.cfg.Config.Labels)
	}
	if len(b.cfg.Config.OnBuild) != 0 {
		t.Errorf("triggers were passed on: %q", b.cfg.Config.OnBuild)
	}
}

// A COPY flag's variable is part of the step: a new --chown value through
// a build arg runs the COPY again.
func TestCopyFlagsExpandedInKey(t *testing.T) {
	e := testEngine(t)
	dir := writeContext(t, map[string]string{"f": "F", "Dockerfile": "FROM busybox\nARG OWNER=1\nCOPY --chown=$OWNER:$OWNER f /f\n"})
	mustBuild(t, e, dir, Options{})
	if r := mustBuild(t, e, dir, Options{}); r.res.Steps != 0 {
		t.Errorf("same arg: %d steps ran", r.res.Steps)
	}
	if r := mustBuild(t, e, dir, Options{BuildArgs: map[string]string{"OWNER": "2"}}); r.res.Steps != 1 {
		t.Errorf("new --chown through the arg: %d steps ran, want 1", r.res.Steps)
	}
}
