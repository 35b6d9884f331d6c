package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/image"
	"berth/engine/monitor"
)

// psRow is what --format templates see for `berth ps`.
type psRow struct {
	ID, Image, Command, CreatedAt, RunningFor, Status, Ports, Names, State, Size, Labels string
}

func (psRow) headers() map[string]string {
	return map[string]string{"ID": "CONTAINER ID", "RunningFor": "CREATED", "CreatedAt": "CREATED AT"}
}

func (statsRow) headers() map[string]string {
	return map[string]string{"Container": "CONTAINER ID", "CPUPerc": "CPU %", "MemUsage": "MEM USAGE / LIMIT",
		"MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O"}
}

// statusText is docker's STATUS column: "Up 3 minutes (healthy)",
// "Exited (0) 2 seconds ago", "Created".
func statusText(s monitor.State, now time.Time) string {
	switch s.Status {
	case monitor.Running, monitor.Paused:
		t := "Up " + humanDuration(now.Sub(s.StartedAt))
		if s.Status == monitor.Paused {
			t += " (Paused)"
		}
		if s.Health != nil && s.Health.Status != "" {
			h := s.Health.Status
			if h == "starting" {
				h = "health: starting"
			}
			t += " (" + h + ")"
		}
		return t
	case monitor.Restarting:
		return fmt.Sprintf("Restarting (%d) %s ago", s.ExitCode, humanDuration(now.Sub(s.FinishedAt)))
	case monitor.Exited:
		return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, humanDuration(now.Sub(s.FinishedAt)))
	case "starting":
		return "Starting"
	}
	return "Created"
}

func psCmd(a *app) *cobra.Command {
	var all, quiet, noTrunc, latest bool
	var format string
	var filters []string
	var last int
	c := &cobra.Command{
		Use:     "ps [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List containers",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			cs, err := e.Containers()
			if err != nil {
				return err
			}
			match, err := psFilter(filters)
			if err != nil {
				return usageError(err)
			}
			if latest {
				last = 1
			}
			now := time.Now()
			var rows []any
			n := 0
			for _, ci := range cs {
				r, s := ci.Record, ci.State
				isRunning := s.Status == monitor.Running || s.Status == monitor.Paused || s.Status == monitor.Restarting
				if !all && last <= 0 && !isRunning && len(filters) == 0 {
					continue
				}
				if !match(ci) {
					continue
				}
				if last > 0 && n >= last {
					break
				}
				n++
				id := r.ID
				if !noTrunc {
					id = id[:12]
				}
				if quiet {
					fmt.Fprintln(a.stdout, id)
					continue
				}
				command := strings.Join(append(append([]string{}, r.Config.Entrypoint...), r.Config.Cmd...), " ")
				if !noTrunc && len(command) > 20 {
					command = command[:19] + "…"
				}
				command = `"` + command + `"`
				var labels []string
				for k, v := range r.Config.Labels {
					labels = append(labels, k+"="+v)
				}
				rows = append(rows, psRow{ID: id, Image: image.FamiliarRef(r.Image), Command: command,
					CreatedAt: r.Created.Local().Format("2006-01-02 15:04:05 -0700 MST"), RunningFor: since(r.Created, now),
					Status: statusText(s, now), Names: r.Name, State: s.Status, Labels: strings.Join(labels, ","),
					Ports: strings.Join(s.Ports, ", ")})
			}
			if quiet {
				return nil
			}
			return render(a.stdout, format, "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}", psRow{}, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "show all containers (default shows just running)")
	f.BoolVarP(&quiet, "quiet", "q", false, "only display container IDs")
	f.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	f.BoolVarP(&latest, "latest", "l", false, "show the latest created container")
	f.IntVarP(&last, "last", "n", -1, "show n last created containers")
	f.StringVar(&format, "format", "", "format output: table, json, or a Go template")
	f.StringArrayVarP(&filters, "filter", "f", nil, "filter output (status=, name=, id=, label=, ancestor=)")
	return c
}

func psFilter(filters []string) (func(engine.ContainerInfo) bool, error) {
	var preds []func(engine.ContainerInfo) bool
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("--filter %q: want KEY=VALUE", f)
		}
		switch k {
		case "status":
			preds = append(preds, func(c engine.ContainerInfo) bool { return c.State.Status == v })
		case "name":
			preds = append(preds, func(c engine.ContainerInfo) bool { return strings.Contains(c.Record.Name, v) })
		case "id":
			preds = append(preds, func(c engine.ContainerInfo) bool { return strings.HasPrefix(c.Record.ID, v) })
		case "label":
			lk, lv, hasV := strings.Cut(v, "=")
			preds = append(preds, func(c engine.ContainerInfo) bool {
				got, ok := c.Record.Config.Labels[lk]
				return ok && (!hasV || got == lv)
			})
		case "ancestor":
			preds = append(preds, func(c engine.ContainerInfo) bool {
				return image.FamiliarRef(c.Record.Image) == image.FamiliarRef(v) || strings.HasPrefix(c.Record.ImageID.Encoded(), strings.TrimPrefix(v, "sha256:"))
			})
		case "health":
			preds = append(preds, func(c engine.ContainerInfo) bool { return c.State.Health != nil && c.State.Health.Status == v })
		default:
			return nil, fmt.Errorf("--filter %q: unknown filter %q", f, k)
		}
	}
	return func(c engine.ContainerInfo) bool {
		for _, p := range preds {
			if !p(c) {
				return false
			}
		}
		return true
	}, nil
}

func logsCmd(a *app) *cobra.Command {
	var follow, timestamps bool
	var tail, sinceS, untilS string
	c := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := engine.LogsOptions{Follow: follow, Tail: -1}
			if tail != "all" && tail != "" {
				if _, err := fmt.Sscanf(tail, "%d", &o.Tail); err != nil {
					return usageError(fmt.Errorf("--tail %q: want a number or all", tail))
				}
			}
			var err error
			if o.Since, err = parseTime(sinceS); err != nil {
				return usageError(fmt.Errorf("--since: %w", err))
			}
			if o.Until, err = parseTime(untilS); err != nil {
				return usageError(fmt.Errorf("--until: %w", err))
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			return e.Logs(cmd.Context(), args[0], o, func(le monitor.LogEntry) error {
				w := a.stdout
				if le.Stream == "stderr" {
					w = a.stderr
				}
				if timestamps {
					fmt.Fprint(w, le.Time.Format(time.RFC3339Nano)+" ")
				}
				_, err := fmt.Fprint(w, le.Log)
				return err
			})
		},
	}
	c.Flags().BoolVarP(&follow, "follow", "f", false, "follow log output")
	c.Flags().BoolVarP(&timestamps, "timestamps", "t", false, "show timestamps")
	c.Flags().StringVarP(&tail, "tail", "n", "all", "number of lines to show from the end")
	c.Flags().StringVar(&sinceS, "since", "", "show logs since a timestamp (RFC3339) or relative (42m)")
	c.Flags().StringVar(&untilS, "until", "", "show logs before a timestamp (RFC3339) or relative (42m)")
	return c
}

// parseTime reads docker's --since/--until: RFC3339, a Unix time, or a
// duration ago.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return time.Now().Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	var sec int64
	if _, err := fmt.Sscanf(s, "%d", &sec); err == nil {
		return time.Unix(sec, 0), nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q", s)
}

// containerInspect is docker's container inspect shape.
type containerInspect struct {
	ID           string `json:"Id"`
	Created      time.Time
	Path         string
	Args         []string
	State        inspectState
	Image        string
	Name         string
	RestartCount int
	Config       engine.ContainerConfig
	HostConfig   engine.HostConfig
	Mounts       []engine.MountSpec
}

type inspectState struct {
	Status                                 string
	Running, Paused, Restarting, OOMKilled bool
	Dead                                   bool
	Pid, ExitCode                          int
	Error                                  string
	StartedAt, FinishedAt                  time.Time
	Health                                 *monitor.Health `json:",omitempty"`
}

func inspectContainer(ci engine.ContainerInfo) containerInspect {
	r, s := ci.Record, ci.State
	args := append(append([]string{}, r.Config.Entrypoint...), r.Config.Cmd...)
	out := containerInspect{ID: r.ID, Created: r.Created, Image: r.ImageID.String(), Name: "/" + r.Name,
		RestartCount: s.RestartCount, Config: r.Config, HostConfig: r.Host, Mounts: r.Host.Mounts}
	if len(args) > 0 {
		out.Path, out.Args = args[0], args[1:]
	}
	out.State = inspectState{Status: s.Status, Running: s.Status == monitor.Running || s.Status == monitor.Paused,
		Paused: s.Status == monitor.Paused, Restarting: s.Status == monitor.Restarting, OOMKilled: s.OOMKilled,
		Pid: s.Pid, ExitCode: s.ExitCode, Error: s.Error, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt, Health: s.Health}
	return out
}

func containerInspectJSON(ci engine.ContainerInfo) any {
	b, _ := json.Marshal(inspectContainer(ci))
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}
