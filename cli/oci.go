package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/oci"
	"berth/engine/runtime"
)

// ociCmd is the runc-compatible runtime surface: plain bundles, no store.
func ociCmd(a *app) *cobra.Command {
	var stateDir string
	c := &cobra.Command{Use: "oci", Short: "OCI runtime commands (runc-compatible) for bundles", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() }}
	c.PersistentFlags().StringVar(&stateDir, "state-dir", oci.DefaultStateDir, "where container states are kept")
	var o oci.CreateOptions
	create := &cobra.Command{Use: "create [--bundle DIR] [--pid-file F] [--console-socket S] ID", Short: "Create a container from a bundle",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.StateDir, o.ID = stateDir, args[0]
			return exitFrom(oci.Create(o))
		}}
	create.Flags().StringVarP(&o.Bundle, "bundle", "b", ".", "bundle directory (holds config.json)")
	create.Flags().StringVar(&o.PidFile, "pid-file", "", "write the container's pid here")
	create.Flags().StringVar(&o.ConsoleSocket, "console-socket", "", "unix socket that receives the PTY master")
	start := &cobra.Command{Use: "start ID", Short: "Start a created container", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return exitFrom(oci.Start(stateDir, args[0])) }}
	state := &cobra.Command{Use: "state ID", Short: "Print a container's state (runtime-spec JSON)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := oci.State(stateDir, args[0])
			if err != nil {
				return err
			}
			b, _ := json.MarshalIndent(st, "", "  ")
			fmt.Fprintln(a.stdout, string(b))
			return nil
		}}
	kill := &cobra.Command{Use: "kill ID [SIGNAL]", Short: "Send a signal (default SIGTERM) to a container", Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sig := syscall.SIGTERM
			if len(args) == 2 {
				s, err := engine.ParseSignal(args[1])
				if err != nil {
					return usageError(err)
				}
				sig = s
			}
			return oci.Kill(stateDir, args[0], sig)
		}}
	var force bool
	del := &cobra.Command{Use: "delete [--force] ID", Short: "Delete a stopped container", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return oci.Delete(stateDir, args[0], force) }}
	del.Flags().BoolVarP(&force, "force", "f", false, "kill a running container first")
	var ro oci.CreateOptions
	run := &cobra.Command{Use: "run [--bundle DIR] ID", Short: "Create, start, wait for and delete a container", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ro.StateDir, ro.ID = stateDir, args[0]
			if err := oci.Create(ro); err != nil {
				return exitFrom(err)
			}
			defer oci.Delete(stateDir, ro.ID, true)
			if err := oci.Start(stateDir, ro.ID); err != nil {
				return exitFrom(err)
			}
			return oci.Wait(stateDir, ro.ID)
		}}
	run.Flags().StringVarP(&ro.Bundle, "bundle", "b", ".", "bundle directory (holds config.json)")
	spec := &cobra.Command{Use: "spec", Short: "Write a default config.json (busybox-style sh) in the current directory", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			s := runtime.DefaultSpec([]string{"sh"})
			b, _ := json.MarshalIndent(s, "", "  ")
			return os.WriteFile("config.json", b, 0o644)
		}}
	c.AddCommand(create, start, state, kill, del, run, spec)
	return c
}
