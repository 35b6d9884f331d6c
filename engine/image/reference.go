package image

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
)

// Ref is a normalized image reference: docker.io/library/busybox:latest,
// host:5000/a/b@sha256:...
type Ref struct {
	named reference.Named
}

// ParseRef normalizes s as docker does: a missing registry is docker.io, a
// one-part name on docker.io is under library/, a missing tag is latest.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("invalid reference: empty")
	}
	n, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Ref{}, fmt.Errorf("invalid reference %q: %w", s, err)
	}
	return Ref{named: reference.TagNameOnly(n)}, nil
}

// String is the full form stored in the index.
func (r Ref) String() string {
	if r.named == nil {
		return ""
	}
	return r.named.String()
}

// Familiar is the short form docker prints (busybox:latest).
func (r Ref) Familiar() string {
	if r.named == nil {
		return ""
	}
	return reference.FamiliarString(r.named)
}

// Domain is the registry host.
func (r Ref) Domain() string { return reference.Domain(r.named) }

// Path is the repository path within the registry (library/busybox).
func (r Ref) Path() string { return reference.Path(r.named) }

// Repository is the full name without tag or digest.
func (r Ref) Repository() string { return r.named.Name() }

// FamiliarRepository is the short repository name docker prints.
func (r Ref) FamiliarRepository() string { return reference.FamiliarName(r.named) }

// Tag is the tag, "" for a digest-only reference.
func (r Ref) Tag() string {
	if t, ok := r.named.(reference.Tagged); ok {
		return t.Tag()
	}
	return ""
}

// Digest is the pinned manifest digest, "" if none.
func (r Ref) Digest() digest.Digest {
	if d, ok := r.named.(reference.Digested); ok {
		return d.Digest()
	}
	return ""
}

// WithTag returns the same repository with tag t.
func (r Ref) WithTag(t string) (Ref, error) {
	n, err := reference.WithTag(reference.TrimNamed(r.named), t)
	if err != nil {
		return Ref{}, fmt.Errorf("invalid tag %q: %w", t, err)
	}
	return Ref{named: n}, nil
}

// WithDigest returns the repository pinned at d.
func (r Ref) WithDigest(d digest.Digest) (Ref, error) {
	n, err := reference.WithDigest(reference.TrimNamed(r.named), d)
	if err != nil {
		return Ref{}, fmt.Errorf("invalid digest %q: %w", d, err)
	}
	return Ref{named: n}, nil
}

// FamiliarRef shortens a stored full reference for display; strings that do
// not parse are returned unchanged.
func FamiliarRef(s string) string {
	r, err := ParseRef(s)
	if err != nil {
		return s
	}
	return r.Familiar()
}

// SplitFamiliar splits a full reference into the REPOSITORY and TAG columns
// docker prints.
func SplitFamiliar(s string) (repo, tag string) {
	r, err := ParseRef(s)
	if err != nil {
		return s, ""
	}
	tag = r.Tag()
	if tag == "" {
		tag = "<none>"
	}
	return r.FamiliarRepository(), tag
}

// LooksLikeID reports whether s could be an image ID or a prefix of one
// (hex, at least 4 chars), which docker accepts wherever a name goes.
func LooksLikeID(s string) bool {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) < 4 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
