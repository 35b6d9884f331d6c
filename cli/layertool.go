package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"berth/engine/layer"
)

// layerToolCmd exposes the layer machinery alone, for the benchmark harness
// to time against tar and umoci on equal terms (a process per run).
func layerToolCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "__layer", Hidden: true, Short: "layer tools for benchmarks"}
	apply := &cobra.Command{
		Use:  "apply LAYER DIR",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			opts := layer.ApplyOptions{Name: args[0], SameOwner: os.Geteuid() == 0, AllowDevices: os.Geteuid() == 0}
			res, err := layer.Apply(cmd.Context(), f, args[1], opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s %s %d\n", res.Digest, res.DiffID, res.Size)
			return nil
		},
	}
	diff := &cobra.Command{
		Use:  "diff DIR OUT",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Create(args[1])
			if err != nil {
				return err
			}
			res, err := layer.Diff(cmd.Context(), f, args[0], layer.DiffOptions{Compression: layer.Gzip})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s %s %d\n", res.Digest, res.DiffID, res.Size)
			return nil
		},
	}
	c.AddCommand(apply, diff)
	return c
}
