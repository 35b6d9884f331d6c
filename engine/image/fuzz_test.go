package image

import "testing"

func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"busybox", "host:5000/a/b@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "a:b:c", "UPPER"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRef(s)
		if err != nil {
			return
		}
		// Normalizing is idempotent.
		r2, err := ParseRef(r.String())
		if err != nil || r2.String() != r.String() {
			t.Fatalf("%q -> %q -> %q (%v)", s, r, r2, err)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}`))
	f.Add([]byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:00"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseManifest(b)
		ParseIndex(b)
		ParseConfig(b)
		SniffMediaType(b)
	})
}
