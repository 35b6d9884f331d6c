package tui

import (
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"

	"berth/engine"
	"berth/engine/monitor"
	"berth/keymap"
	"berth/themes"
	"berth/views"
)

// FrameCost renders the containers view of a model holding n containers
// and k images (synthetic, no engine) frames times, and returns the mean
// time per frame: what `make bench` reports against the 5 ms budget.
func FrameCost(n, k, frames int) time.Duration {
	m := Model{keys: keymap.Default(), theme: themes.Dark(), width: 160, height: 48, now: time.Now,
		ctrs: map[string]engine.ContainerInfo{}, hist: map[string]*history{}}
	m.tables[imagesTab] = &views.Table{Columns: []views.Column{{Title: "REPOSITORY"}, {Title: "TAG", Width: 8}, {Title: "SIZE", Width: 6}}}
	m.tables[containersTab] = &views.Table{Columns: []views.Column{{Title: "NAME"}, {Title: "IMAGE", Optional: true},
		{Title: "STATE", Width: 9}, {Title: "UP", Width: 4}, {Title: "CPU", Width: 6, Right: true}, {Title: "MEM", Width: 6, Right: true}}}
	m.tables[volumesTab] = &views.Table{Columns: []views.Column{{Title: "NAME"}}}
	m.tables[buildsTab] = &views.Table{Columns: []views.Column{{Title: "BUILD"}}}
	var imgs []engine.ImageSummary
	for i := 0; i < k; i++ {
		imgs = append(imgs, engine.ImageSummary{ID: digest.FromString(fmt.Sprint(i)), RepoTags: []string{fmt.Sprintf("docker.io/library/app%d:latest", i)}, Size: int64(i) << 20})
	}
	keysI, rowsI := imageRows(imgs, time.Now(), 0)
	m.tables[imagesTab].SetRows(keysI, rowsI)
	for i := 0; i < n; i++ {
		id := digest.FromString(fmt.Sprint("c", i)).Encoded()
		m.ctrs[id] = engine.ContainerInfo{Record: engine.ContainerRecord{ID: id, Name: fmt.Sprintf("svc-%d", i), Image: "app:latest"},
			State: monitor.State{Status: "running", StartedAt: time.Now()}}
		m.hist[id] = &history{cpu: []float64{1, 2, 3}, mem: []float64{1 << 20}, pids: []float64{3}}
	}
	m.refreshContainerRows()
	m.side = containersTab
	m.detail = statsPane
	m.detailKey = m.selected()
	start := time.Now()
	for i := 0; i < frames; i++ {
		_ = m.View()
	}
	return time.Since(start) / time.Duration(frames)
}
