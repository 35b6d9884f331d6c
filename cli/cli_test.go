package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"berth/engine"
	"berth/internal/fixture"
)

type result struct {
	code           int
	stdout, stderr string
}

func berth(t *testing.T, root, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	noTUI := func(context.Context, *engine.Engine) error { t.Fatal("TUI started"); return nil }
	code := Run(context.Background(), append([]string{"--root", root}, args...), strings.NewReader(stdin), &out, &errb, noTUI)
	return result{code, out.String(), errb.String()}
}

func ok(t *testing.T, r result) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	return r.stdout
}

func TestImagesWorkflow(t *testing.T) {
	root := t.TempDir()
	if out := ok(t, berth(t, root, "", "images")); strings.TrimSpace(out) != "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE" {
		t.Fatalf("empty images: %q", out)
	}
	out := ok(t, berth(t, root, "", "load", "-i", fixture.BusyboxLayout(t)))
	if out != "Loaded image: busybox:latest\n" {
		t.Fatalf("load output %q", out)
	}
	out = ok(t, berth(t, root, "", "images"))
	if !strings.Contains(out, "busybox") || !strings.Contains(out, "latest") || !strings.Contains(out, "MB") {
		t.Fatalf("images table:\n%s", out)
	}
	ids := ok(t, berth(t, root, "", "images", "-q"))
	if len(strings.TrimSpace(ids)) != 12 {
		t.Fatalf("-q: %q", ids)
	}
	if out := ok(t, berth(t, root, "", "images", "--format", "{{.Repository}}:{{.Tag}}")); out != "busybox:latest\n" {
		t.Fatalf("--format: %q", out)
	}
	var row map[string]any
	if err := json.Unmarshal([]byte(ok(t, berth(t, root, "", "images", "--format", "json"))), &row); err != nil || row["Repository"] != "busybox" {
		t.Fatalf("json: %v %v", row, err)
	}
	if out := ok(t, berth(t, root, "", "images", "--digests")); !strings.Contains(out, "DIGEST") || !strings.Contains(out, "sha256:") {
		t.Fatalf("--digests:\n%s", out)
	}
	ok(t, berth(t, root, "", "tag", "busybox", "localhost:5000/team/bb:v2"))
	if out := ok(t, berth(t, root, "", "images", "localhost:5000/team/bb")); !strings.Contains(out, "v2") || strings.Contains(out, "busybox ") {
		t.Fatalf("repository argument:\n%s", out)
	}
	if out := ok(t, berth(t, root, "", "inspect", "--format", "{{.Id}} {{.Os}}", "busybox")); !strings.HasPrefix(out, "sha256:"+strings.TrimSpace(ids)) || !strings.HasSuffix(out, " linux\n") {
		t.Fatalf("inspect --format: %q", out)
	}
	if out := ok(t, berth(t, root, "", "history", "busybox")); !strings.Contains(out, "busybox-static rootfs") {
		t.Fatalf("history:\n%s", out)
	}

	// Save to a file and stdout, then load from stdin into a fresh store.
	tarPath := filepath.Join(t.TempDir(), "bb.tar")
	ok(t, berth(t, root, "", "save", "-o", tarPath, "busybox"))
	stream := ok(t, berth(t, root, "", "save", "--format", "oci", "busybox"))
	root2 := t.TempDir()
	if out := ok(t, berth(t, root2, stream, "load")); out != "Loaded image: busybox:latest\n" {
		t.Fatalf("load from stdin: %q", out)
	}
	if out := ok(t, berth(t, root2, "", "load", "-i", tarPath)); out != "Loaded image: busybox:latest\n" {
		t.Fatalf("load docker-archive: %q", out)
	}

	if out := ok(t, berth(t, root, "", "rmi", "localhost:5000/team/bb:v2")); out != "Untagged: localhost:5000/team/bb:v2\n" {
		t.Fatalf("rmi: %q", out)
	}
	if out := ok(t, berth(t, root, "", "system", "df")); !strings.Contains(out, "Images") {
		t.Fatalf("df:\n%s", out)
	}
	// Prune asks first; no answer means no.
	if out := ok(t, berth(t, root, "", "image", "prune", "-a")); !strings.Contains(out, "Are you sure") {
		t.Fatalf("prune prompt: %q", out)
	}
	if out := ok(t, berth(t, root, "", "images", "-q")); out == "" {
		t.Fatal("prune without consent removed images")
	}
	out = ok(t, berth(t, root, "y\n", "image", "prune", "-a"))
	if !strings.Contains(out, "deleted: sha256:") {
		t.Fatalf("prune: %q", out)
	}
	if out := ok(t, berth(t, root, "", "system", "prune", "-f")); !strings.Contains(out, "Total reclaimed space") {
		t.Fatalf("system prune: %q", out)
	}
}

func TestImportCommand(t *testing.T) {
	root := t.TempDir()
	rootfs := filepath.Join(t.TempDir(), "rootfs.tar")
	f, _ := os.Create(rootfs)
	f.Write(make([]byte, 1024)) // an empty tar: two zero blocks
	f.Close()
	out := ok(t, berth(t, root, "", "import", rootfs, "scratchy:1"))
	if !strings.HasPrefix(out, "sha256:") {
		t.Fatalf("import: %q", out)
	}
	if out := ok(t, berth(t, root, "", "images", "--format", "{{.Repository}}")); out != "scratchy\n" {
		t.Fatalf("images: %q", out)
	}
}

func TestBadInputIsOneClearLine(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"images", "--bogus"}, 125, "unknown flag: --bogus"},
		{[]string{"frobnicate"}, 125, "unknown command"},
		{[]string{"rmi", "nothere"}, 1, "no such image: nothere"},
		{[]string{"save", "--format", "zip", "x"}, 125, "unknown archive format"},
		{[]string{"tag", "nothere", "x"}, 1, "no such image"},
		{[]string{"load", "-i", "/nonexistent.tar"}, 1, "/nonexistent.tar"},
		{[]string{"images", "--filter", "color=blue"}, 125, "unknown filter"},
		{[]string{"images", "--format", "{{.Nope}}"}, 125, "--format"},
		{[]string{"import", "/nonexistent.tar"}, 1, "/nonexistent.tar"},
		{[]string{"inspect", "Bad Ref"}, 1, "invalid reference"},
	}
	for _, c := range cases {
		r := berth(t, root, "", c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d stderr %q; want exit %d and one line with %q", c.args, r.code, r.stderr, c.code, c.want)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "blobs", "sha256")); len(ents) != 0 {
		t.Fatal("bad input wrote blobs")
	}
}

func TestImageAnalyzeCI(t *testing.T) {
	root := t.TempDir()
	ok(t, berth(t, root, "", "load", "-i", fixture.LayersLayout(t)))
	out := ok(t, berth(t, root, "", "image", "analyze", "berth/layers"))
	if !strings.Contains(out, "Image efficiency:") || !strings.Contains(out, "/data/big") {
		t.Fatalf("analyze:\n%s", out)
	}
	r := berth(t, root, "", "image", "analyze", "--ci", "berth/layers")
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL: efficiency") {
		t.Fatalf("--ci on a wasteful image: exit %d\n%s", r.code, r.stdout)
	}
	if r := berth(t, root, "", "image", "analyze", "--ci", "--lowest-efficiency", "0.5", "--highest-user-wasted-percent", "0.5", "berth/layers"); r.code != 0 {
		t.Fatalf("--ci within thresholds: exit %d\n%s", r.code, r.stdout)
	}
}
