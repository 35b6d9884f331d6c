package image

import (
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParseRef(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	cases := []struct{ in, full, familiar, tag string }{
		{"busybox", "docker.io/library/busybox:latest", "busybox:latest", "latest"},
		{"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36", "1.36"},
		{"library/busybox", "docker.io/library/busybox:latest", "busybox:latest", "latest"},
		{"user/app:v1", "docker.io/user/app:v1", "user/app:v1", "v1"},
		{"localhost:5000/a/b", "localhost:5000/a/b:latest", "localhost:5000/a/b:latest", "latest"},
		{"host:5000/a/b@" + d, "host:5000/a/b@" + d, "host:5000/a/b@" + d, ""},
		{"quay.io/x/y:z", "quay.io/x/y:z", "quay.io/x/y:z", "z"},
	}
	for _, c := range cases {
		r, err := ParseRef(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if r.String() != c.full || r.Familiar() != c.familiar || r.Tag() != c.tag {
			t.Errorf("%s: got %s / %s / %s", c.in, r, r.Familiar(), r.Tag())
		}
	}
	if r, _ := ParseRef("host:5000/a/b@" + d); r.Digest() != digest.Digest(d) || r.Domain() != "host:5000" || r.Path() != "a/b" {
		t.Errorf("digest ref parts: %v %v %v", r.Digest(), r.Domain(), r.Path())
	}
	for _, bad := range []string{"", "UPPER", "a b", "x:", ":tag", "a@sha256:zz", "-x"} {
		if _, err := ParseRef(bad); err == nil || !strings.Contains(err.Error(), "invalid reference") {
			t.Errorf("%q: want invalid reference error, got %v", bad, err)
		}
	}
	if repo, tag := SplitFamiliar("docker.io/library/busybox:latest"); repo != "busybox" || tag != "latest" {
		t.Errorf("split: %s %s", repo, tag)
	}
}

func TestLooksLikeID(t *testing.T) {
	for s, want := range map[string]bool{"abcd": true, "sha256:0123": true, "abc": false, "busybox": false, "ABCD": false} {
		if LooksLikeID(s) != want {
			t.Errorf("%s: want %v", s, want)
		}
	}
}

func TestSelectPlatform(t *testing.T) {
	dg := digest.FromString
	ix := &ocispec.Index{Manifests: []ocispec.Descriptor{
		{MediaType: ocispec.MediaTypeImageManifest, Digest: dg("arm"), Platform: &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}},
		{MediaType: ocispec.MediaTypeImageManifest, Digest: dg("arm64"), Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64"}},
		{MediaType: ocispec.MediaTypeImageManifest, Digest: dg("att"), Platform: &ocispec.Platform{OS: "unknown", Architecture: "unknown"}},
		{MediaType: DockerManifest, Digest: dg("amd64"), Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}},
	}}
	for in, want := range map[string]string{"linux/amd64": "amd64", "linux/arm64/v8": "arm64", "linux/arm64": "arm64", "linux/arm/v7": "arm"} {
		p, err := ParsePlatform(in)
		if err != nil {
			t.Fatal(err)
		}
		d, err := SelectPlatform(ix, p)
		if err != nil || d.Digest != dg(want) {
			t.Errorf("%s: got %v %v", in, d.Digest, err)
		}
	}
	_, err := SelectPlatform(ix, ocispec.Platform{OS: "linux", Architecture: "s390x"})
	if err == nil || !strings.Contains(err.Error(), "linux/s390x") || !strings.Contains(err.Error(), "linux/amd64") || strings.Contains(err.Error(), "unknown") {
		t.Errorf("missing platform error: %v", err)
	}
	if _, err := ParsePlatform("linux"); err == nil {
		t.Error("platform without arch accepted")
	}
}

func TestParseManifest(t *testing.T) {
	good := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
	"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + digest.FromString("c").String() + `","size":1},
	"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"` + digest.FromString("l").String() + `","size":1}]}`
	if _, err := ParseManifest([]byte(good)); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"schema":    strings.Replace(good, `"schemaVersion":2`, `"schemaVersion":1`, 1),
		"mediatype": strings.Replace(good, "vnd.oci.image.manifest.v1+json", "vnd.example+json", 1),
		"layer":     strings.Replace(good, "rootfs.diff.tar.gzip", "rootfs.weird", 1),
		"digest":    strings.Replace(good, digest.FromString("l").String(), "sha256:xyz", 1),
		"json":      good[:20],
		"huge":      good + strings.Repeat(" ", MaxManifestBytes),
	}
	for name, b := range bad {
		if _, err := ParseManifest([]byte(b)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if SniffMediaType([]byte(`{"manifests":[]}`)) != ocispec.MediaTypeImageIndex {
		t.Error("sniff index")
	}
}

func TestChainIDs(t *testing.T) {
	a, b := digest.FromString("a"), digest.FromString("b")
	ids := ChainIDs([]digest.Digest{a, b})
	want := digest.FromString(a.String() + " " + b.String())
	if ids[0] != a || ids[1] != want || ChainID([]digest.Digest{a, b}) != want {
		t.Fatalf("chainIDs %v, want [%s %s]", ids, a, want)
	}
}
