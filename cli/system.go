package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"berth/engine"
)

func engineImportOptions(args []string, message, src string) engine.ImportOptions {
	o := engine.ImportOptions{Message: message, Source: src}
	if len(args) > 1 {
		o.Ref = args[1]
	}
	return o
}

type dfRow struct {
	Type, TotalCount, Active, Size, Reclaimable string
}

func systemCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "system", Short: "Manage berth's storage", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() }}
	var format string
	df := &cobra.Command{
		Use:   "df",
		Short: "Show disk usage",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			du, err := e.DiskUsage(cmd.Context())
			if err != nil {
				return err
			}
			row := func(typ string, u engine.UsageRow) dfRow {
				pct := ""
				if u.Size > 0 {
					pct = fmt.Sprintf(" (%d%%)", u.Reclaimable*100/u.Size)
				}
				return dfRow{Type: typ, TotalCount: fmt.Sprint(u.Total), Active: fmt.Sprint(u.Active),
					Size: humanSize(u.Size), Reclaimable: humanSize(u.Reclaimable) + pct}
			}
			rows := []any{row("Images", du.Images), row("Containers", du.Containers),
				row("Local Volumes", du.Volumes), row("Build Cache", du.BuildCache)}
			if err := render(a.stdout, format, "{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", dfRow{}, rows); err != nil {
				return err
			}
			if du.Unreachable > 0 && format == "" {
				fmt.Fprintf(a.stdout, "\n%s of partial downloads and leftovers: `berth system prune` removes them\n", humanSize(du.Unreachable))
			}
			return nil
		},
	}
	df.Flags().StringVar(&format, "format", "", "format output: table, json, or a Go template")
	var all, force bool
	prune := &cobra.Command{
		Use:   "prune",
		Short: "Remove unused data: dangling images (all unused with -a), the build cache and leftovers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			msg := "This will remove:\n  - all dangling images\n  - all build cache\n  - partial downloads and unreferenced layers"
			if all {
				msg = "This will remove:\n  - all images without at least one container associated to them\n  - all build cache\n  - partial downloads and unreferenced layers"
			}
			if !force && !a.confirm(msg) {
				return nil
			}
			// As docker's: the build cache goes too, before the images so
			// one collection takes what only the cache held.
			n, _, err := e.PruneBuildCache(cmd.Context())
			if err != nil {
				return err
			}
			if n > 0 {
				fmt.Fprintf(a.stdout, "Deleted build cache entries: %d\n", n)
			}
			return a.pruneImages(cmd, e, all)
		},
	}
	prune.Flags().BoolVarP(&all, "all", "a", false, "remove all unused images, not just dangling ones")
	prune.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	c.AddCommand(df, prune)
	return c
}
