package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/opencontainers/go-digest"
)

// ContainerRecordFile is the file in containers/<id>/ that says which image
// and layers a container stands on. Image removal and GC read it, so layers
// under a container are never collected, whatever happens to its image.
const ContainerRecordFile = "container.json"

// containerImageRef is the part of a container's record images care about.
type containerImageRef struct {
	ID      string          `json:"ID"`
	ImageID digest.Digest   `json:"ImageID"`
	Layers  []digest.Digest `json:"Layers"` // chainIDs of the image layers
}

func (e *Engine) containerRecords() ([]containerImageRef, error) {
	dir := e.Store.Path("containers")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []containerImageRef
	for _, ent := range ents {
		b, err := os.ReadFile(e.Store.Path("containers", ent.Name(), ContainerRecordFile))
		if err != nil {
			continue // being created or removed right now
		}
		var r containerImageRef
		if json.Unmarshal(b, &r) == nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// containerImages counts containers per image ID.
func (e *Engine) containerImages() (map[digest.Digest]int, error) {
	recs, err := e.containerRecords()
	if err != nil {
		return nil, err
	}
	n := map[digest.Digest]int{}
	for _, r := range recs {
		n[r.ImageID]++
	}
	return n, nil
}
