package tui

import (
	"sort"
	"time"

	"github.com/opencontainers/go-digest"

	"berth/engine"
)

func imageRows(items []engine.ImageSummary, now time.Time) ([]string, [][]string) {
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
