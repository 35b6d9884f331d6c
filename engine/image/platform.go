package image

import (
	"fmt"
	"runtime"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultPlatform is the host's: what `--platform` defaults to.
func DefaultPlatform() ocispec.Platform {
	p := ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if runtime.GOARCH == "arm64" {
		p.Variant = "v8"
	}
	return p
}

// ParsePlatform reads os/arch[/variant] (linux/amd64, linux/arm/v7).
func ParsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return ocispec.Platform{}, fmt.Errorf("invalid platform %q: want os/arch[/variant]", s)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: normalizeArch(parts[1])}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	if p.Architecture == "arm64" && p.Variant == "" {
		p.Variant = "v8"
	}
	return p, nil
}

// FormatPlatform writes p as os/arch[/variant].
func FormatPlatform(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func normalizeArch(a string) string {
	switch a {
	case "x86_64", "x86-64":
		return "amd64"
	case "aarch64":
		return "arm64"
	}
	return a
}

// matches reports whether an index entry's platform runs on want.
func matches(have *ocispec.Platform, want ocispec.Platform) bool {
	if have == nil {
		return false
	}
	if have.OS != want.OS || normalizeArch(have.Architecture) != want.Architecture {
		return false
	}
	hv := have.Variant
	if want.Architecture == "arm64" && hv == "" {
		hv = "v8"
	}
	return want.Variant == "" || hv == "" || hv == want.Variant
}

// SelectPlatform picks the index entry for want, skipping attestation
// manifests (which carry platform unknown/unknown).
func SelectPlatform(ix *ocispec.Index, want ocispec.Platform) (ocispec.Descriptor, error) {
	var avail []string
	for _, m := range ix.Manifests {
		if !IsManifest(m.MediaType) && !IsIndex(m.MediaType) {
			continue
		}
		if matches(m.Platform, want) {
			return m, nil
		}
		if m.Platform != nil && m.Platform.OS != "unknown" {
			avail = append(avail, FormatPlatform(*m.Platform))
		}
	}
	return ocispec.Descriptor{}, fmt.Errorf("no image for platform %s (available: %s)",
		FormatPlatform(want), strings.Join(avail, ", "))
}
