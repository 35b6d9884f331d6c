package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func portCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List port mappings of a container",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			ports, err := e.Ports(args[0])
			if err != nil {
				return err
			}
			for _, p := range ports {
				host, ctr, _ := strings.Cut(p, "->")
				if len(args) == 2 {
					want := args[1]
					if !strings.Contains(want, "/") {
						want += "/tcp"
					}
					if ctr != want {
						continue
					}
					fmt.Fprintln(a.stdout, host)
					continue
				}
				fmt.Fprintf(a.stdout, "%s -> %s\n", ctr, host)
			}
			return nil
		},
	}
}

func networkCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "network", Short: "Manage networks", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() }}
	var subnet string
	var labels []string
	create := &cobra.Command{Use: "create [--subnet CIDR] NAME", Short: "Create a network", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			l := map[string]string{}
			for _, kv := range labels {
				k, v, _ := strings.Cut(kv, "=")
				l[k] = v
			}
			n, err := e.Networks().Create(args[0], subnet, l)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, n.ID)
			return nil
		}}
	create.Flags().StringVar(&subnet, "subnet", "", "IPv4 subnet in CIDR form (default: a free /24)")
	create.Flags().StringArrayVar(&labels, "label", nil, "set metadata")
	create.Flags().StringP("driver", "d", "bridge", "driver (bridge is the one berth has)")
	var quiet bool
	ls := &cobra.Command{Use: "ls", Aliases: []string{"list"}, Short: "List networks", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			nets, err := e.Networks().List()
			if err != nil {
				return err
			}
			type row struct{ ID, Name, Driver, Subnet string }
			var rows []any
			for _, n := range nets {
				if quiet {
					fmt.Fprintln(a.stdout, n.Name)
					continue
				}
				rows = append(rows, row{n.ID, n.Name, n.Driver, n.Subnet})
			}
			if quiet {
				return nil
			}
			return render(a.stdout, "", "{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Subnet}}", row{}, rows)
		}}
	ls.Flags().BoolVarP(&quiet, "quiet", "q", false, "only display names")
	inspect := &cobra.Command{Use: "inspect NETWORK [NETWORK...]", Short: "Display detailed information on networks", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var out []any
			for _, name := range args {
				n, err := e.Networks().Get(name)
				if err != nil {
					return err
				}
				out = append(out, n)
			}
			b, _ := json.MarshalIndent(out, "", "    ")
			fmt.Fprintln(a.stdout, string(b))
			return nil
		}}
	rm := &cobra.Command{Use: "rm NETWORK [NETWORK...]", Aliases: []string{"remove"}, Short: "Remove networks", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachContainer(a, args, e.RemoveNetwork)
		}}
	var aliases []string
	connect := &cobra.Command{Use: "connect NETWORK CONTAINER", Short: "Connect a container to a network", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return e.ConnectNetwork(args[0], args[1], aliases)
		}}
	connect.Flags().StringArrayVar(&aliases, "alias", nil, "another name for the container on this network")
	disconnect := &cobra.Command{Use: "disconnect NETWORK CONTAINER", Short: "Disconnect a container from a network", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return e.DisconnectNetwork(args[0], args[1])
		}}
	var force bool
	prune := &cobra.Command{Use: "prune", Short: "Remove all unused networks", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if !force && !a.confirm("This will remove all custom networks not used by at least one container.") {
				return nil
			}
			names, err := e.PruneNetworks()
			for _, n := range names {
				fmt.Fprintln(a.stdout, n)
			}
			return err
		}}
	prune.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	c.AddCommand(create, ls, inspect, rm, connect, disconnect, prune)
	return c
}

// networkTeardownCmd deletes the store's bridges: for tests and scripts
// that throw a whole store away.
func networkTeardownCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "__teardown-networks", Hidden: true, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			e.Networks().Teardown()
			return nil
		}}
}
