package cli

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func topCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "top CONTAINER",
		Short: "Display the running processes of a container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			ps, err := e.Top(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var rows []any
			for _, p := range ps {
				rows = append(rows, struct {
					UID, PID, PPID int
					CMD            string
				}{p.UID, p.PID, p.PPID, p.Cmd})
			}
			return render(a.stdout, "", "{{.UID}}\t{{.PID}}\t{{.PPID}}\t{{.CMD}}", struct {
				UID, PID, PPID int
				CMD            string
			}{}, rows)
		},
	}
}

type statsRow struct {
	Container, Name, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs string
}

func statsCmd(a *app) *cobra.Command {
	var noStream bool
	var format string
	c := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container resource usage",
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			names := args
			if len(names) == 0 {
				cs, _ := e.Containers()
				for _, c := range cs {
					if c.State.Status == "running" {
						names = append(names, c.Record.ID)
					}
				}
			}
			prev := map[string]uint64{}
			sample := func() []any {
				var rows []any
				for _, n := range names {
					s, err := e.Sample(cmd.Context(), n)
					if err != nil {
						continue
					}
					cpu := "--"
					if p, ok := prev[n]; ok {
						cpu = fmt.Sprintf("%.2f%%", float64(s.CPU.UsageNS-p)/1e9*100)
					}
					prev[n] = s.CPU.UsageNS
					mem, memPct := "n/a", "n/a"
					if !contains(s.Missing, "memory") {
						limit := s.Memory.Limit
						if limit == 0 {
							limit = hostMemory()
						}
						mem = humanSize(int64(s.Memory.WorkingSet)) + " / " + humanSize(int64(limit))
						memPct = fmt.Sprintf("%.2f%%", float64(s.Memory.WorkingSet)/float64(limit)*100)
					}
					netio := humanSize(int64(s.RxBytes)) + " / " + humanSize(int64(s.TxBytes))
					pids := "n/a"
					if !contains(s.Missing, "pids") {
						pids = fmt.Sprint(s.Pids.Current)
					}
					rows = append(rows, statsRow{Container: s.ID[:12], Name: s.Name, CPUPerc: cpu,
						MemUsage: mem, MemPerc: memPct, NetIO: netio, BlockIO: humanSize(int64(s.IO.ReadBytes)) + " / " + humanSize(int64(s.IO.WriteBytes)), PIDs: pids})
				}
				return rows
			}
			table := "{{.Container}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"
			// CPU % needs two samples a second apart, as docker takes.
			sample()
			for {
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(time.Second):
				}
				rows := sample()
				if !noStream {
					fmt.Fprint(a.stdout, "\033[2J\033[H")
				}
				if err := render(a.stdout, format, table, statsRow{}, rows); err != nil {
					return err
				}
				if noStream {
					return nil
				}
			}
		},
	}
	c.Flags().BoolVar(&noStream, "no-stream", false, "print one sample and exit")
	c.Flags().StringVar(&format, "format", "", "format output: table, json, or a Go template")
	return c
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func hostMemory() uint64 { return physMem() }

func volumeCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "volume", Short: "Manage volumes", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() }}
	create := &cobra.Command{Use: "create [VOLUME]", Short: "Create a volume", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			v, err := e.CreateVolume(name, nil)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, v.Name)
			return nil
		}}
	var quiet bool
	ls := &cobra.Command{Use: "ls", Aliases: []string{"list"}, Short: "List volumes", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			vs, err := e.Volumes()
			if err != nil {
				return err
			}
			var rows []any
			for _, v := range vs {
				if quiet {
					fmt.Fprintln(a.stdout, v.Name)
					continue
				}
				rows = append(rows, struct{ Driver, Name string }{"local", v.Name})
			}
			if quiet {
				return nil
			}
			return render(a.stdout, "", "{{.Driver}}\t{{.Name}}", struct{ Driver, Name string }{}, rows)
		}}
	ls.Flags().BoolVarP(&quiet, "quiet", "q", false, "only display volume names")
	inspect := &cobra.Command{Use: "inspect VOLUME [VOLUME...]", Short: "Display detailed information on volumes", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var out []any
			for _, n := range args {
				v, err := e.Volume(n)
				if err != nil {
					return err
				}
				out = append(out, map[string]any{"Name": v.Name, "Driver": "local", "Mountpoint": v.Mountpoint,
					"CreatedAt": v.CreatedAt, "Labels": v.Labels, "Scope": "local"})
			}
			b, _ := json.MarshalIndent(out, "", "    ")
			fmt.Fprintln(a.stdout, string(b))
			return nil
		}}
	var force bool
	rm := &cobra.Command{Use: "rm VOLUME [VOLUME...]", Short: "Remove one or more volumes", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachContainer(a, args, func(n string) error { return e.RemoveVolume(n, force) })
		}}
	rm.Flags().BoolVarP(&force, "force", "f", false, "remove even if in use")
	var all, yes bool
	prune := &cobra.Command{Use: "prune", Short: "Remove unused volumes", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if !yes && !a.confirm("This will remove anonymous local volumes not used by at least one container.") {
				return nil
			}
			names, err := e.PruneVolumes(all)
			for _, n := range names {
				fmt.Fprintln(a.stdout, n)
			}
			return err
		}}
	prune.Flags().BoolVarP(&all, "all", "a", false, "remove all unused volumes, not just anonymous ones")
	prune.Flags().BoolVarP(&yes, "force", "f", false, "do not prompt for confirmation")
	c.AddCommand(create, ls, inspect, rm, prune)
	return c
}

func containerCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "container", Short: "Manage containers", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() }}
	ls := psCmd(a)
	ls.Use, ls.Aliases = "ls [OPTIONS]", []string{"list", "ps"}
	var force bool
	prune := &cobra.Command{Use: "prune", Short: "Remove all stopped containers", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if !force && !a.confirm("This will remove all stopped containers.") {
				return nil
			}
			ids, err := e.PruneContainers(cmd.Context())
			if len(ids) > 0 {
				fmt.Fprintln(a.stdout, "Deleted Containers:")
				for _, id := range ids {
					fmt.Fprintln(a.stdout, id)
				}
			}
			return err
		}}
	prune.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	c.AddCommand(ls, prune, inspectKind(a, true, false), runCmd(a), createCmd(a), startCmd(a), stopCmd(a), restartCmd(a), killCmd(a),
		rmCmd(a), execCmd(a), attachCmd(a), logsCmd(a), waitCmd(a), topCmd(a), statsCmd(a), pauseCmd(a, true), pauseCmd(a, false))
	return c
}
