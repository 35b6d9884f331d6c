package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"berth/engine"
)

func diffCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Inspect changes to files or directories on a container's filesystem",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			ch, err := e.Diff(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			for _, c := range ch {
				fmt.Fprintf(a.stdout, "%s %s\n", c.Kind, c.Path)
			}
			return nil
		},
	}
}

func commitCmd(a *app) *cobra.Command {
	var o engine.CommitOptions
	c := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Create a new image from a container's changes",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if len(args) == 2 {
				o.Ref = args[1]
			}
			id, err := e.Commit(cmd.Context(), args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, id)
			return nil
		},
	}
	c.Flags().StringVarP(&o.Author, "author", "a", "", "author")
	c.Flags().StringVarP(&o.Message, "message", "m", "", "commit message")
	c.Flags().BoolVarP(&o.Pause, "pause", "p", true, "pause the container during commit")
	return c
}

func exportCmd(a *app) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "export [-o FILE] CONTAINER",
		Short: "Export a container's filesystem as a tar archive",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				if isTerminal(a.stdout) {
					return usageError(fmt.Errorf("cowardly refusing to write a tar to a terminal: use -o FILE or redirect stdout"))
				}
				return e.Export(cmd.Context(), args[0], a.stdout)
			}
			tmp, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".tmp-")
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			defer os.Remove(tmp.Name())
			err = e.Export(cmd.Context(), args[0], tmp)
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			return os.Rename(tmp.Name(), output)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "write to a file instead of stdout")
	return c
}

func renameCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return e.Rename(cmd.Context(), args[0], args[1])
		},
	}
}

func cpCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "cp CONTAINER:SRC_PATH DEST_PATH | SRC_PATH CONTAINER:DEST_PATH",
		Short: "Copy files/folders between a container and the local filesystem",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			src, dst := args[0], args[1]
			sc, sp, sIn := splitContainerPath(src)
			dc, dp, dIn := splitContainerPath(dst)
			switch {
			case sIn && !dIn:
				return e.CopyOut(cmd.Context(), sc, sp, dst)
			case !sIn && dIn:
				return e.CopyIn(cmd.Context(), dc, src, dp)
			}
			return usageError(fmt.Errorf("cp: exactly one of %q and %q must be CONTAINER:PATH", src, dst))
		},
	}
}

// splitContainerPath reads CONTAINER:PATH; a path with a slash before the
// colon is a local path, as docker decides.
func splitContainerPath(s string) (string, string, bool) {
	i := strings.Index(s, ":")
	if i <= 0 || strings.Contains(s[:i], "/") {
		return "", s, false
	}
	return s[:i], s[i+1:], true
}
