package tui

import (
	"sort"
	"time"

	"github.com/opencontainers/go-digest"

	"berth/engine"
)

// imageSorts are the orders o cycles through: the store's (newest first),
// by name, by size (largest first).
var imageSorts = []string{"created", "repository", "size"}

func imageRows(items []engine.ImageSummary, now time.Time, by int) ([]string, [][]string) {
	items = append([]engine.ImageSummary(nil), items...)
	switch imageSorts[by%len(imageSorts)] {
	case "repository":
		sort.SliceStable(items, func(i, j int) bool {
			a, _ := familiar(items[i].RepoTags)
			b, _ := familiar(items[j].RepoTags)
			return a < b
		})
	case "size":
		sort.SliceStable(items, func(i, j int) bool { return items[i].Size > items[j].Size })
	}
	var keys []string
	var rows [][]string
	for _, im := range items {
		repo, tag := familiar(im.RepoTags)
		keys = append(keys, im.ID.String())
		rows = append(rows, []string{repo, tag, engine.ShortID(im.ID), ago(im.Created, now), humanSize(im.Size)})
	}
	return keys, rows
}

func sortedContainers(m map[string]engine.ContainerInfo) []engine.ContainerInfo {
	var out []engine.ContainerInfo
	for _, c := range m {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Record.Created.After(out[j].Record.Created) })
	return out
}

func digestOf(s string) digest.Digest { return digest.Digest(s) }
