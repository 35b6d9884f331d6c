package build

import (
	"crypto/sha256"
	"encoding/json"

	"github.com/opencontainers/go-digest"
)

// stepKey chains a step onto its parent's key. Whatever can change a
// step's result goes into parts (the instruction after expansion, the
// digest of its sources, the build args RUN sees), so equal keys mean
// equal results and any difference upstream changes every key after it.
func stepKey(parent digest.Digest, parts ...any) digest.Digest {
	h := sha256.New()
	h.Write([]byte(parent))
	h.Write([]byte{0})
	enc := json.NewEncoder(h)
	for _, p := range parts {
		enc.Encode(p)
	}
	return digest.NewDigest(digest.SHA256, h)
}
