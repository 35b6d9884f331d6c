package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"berth/engine/archive"
	"berth/engine/image"
)

func loadCmd(a *app) *cobra.Command {
	var input string
	var quiet bool
	c := &cobra.Command{
		Use:   "load [-i FILE|DIR]",
		Short: "Load images from a docker-archive, OCI archive or OCI layout (stdin by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			path := input
			if path == "" || path == "-" {
				if isTerminal(a.stdin) {
					return usageError(fmt.Errorf("requested load from stdin, but stdin is a terminal: use -i FILE"))
				}
				// Archives need random access (docker writes manifest.json
				// last), so a stream is spooled into the store's tmp/ first.
				tmp, err := spool(e.Store.Path("tmp"), a.stdin)
				if err != nil {
					return err
				}
				defer os.Remove(tmp)
				path = tmp
			}
			loaded, err := e.Load(cmd.Context(), path)
			if err != nil {
				return err
			}
			for _, l := range loaded {
				if quiet {
					continue
				}
				if len(l.Refs) == 0 {
					fmt.Fprintf(a.stdout, "Loaded image ID: %s\n", l.ID)
				}
				for _, r := range l.Refs {
					fmt.Fprintf(a.stdout, "Loaded image: %s\n", image.FamiliarRef(r))
				}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&input, "input", "i", "", "read from FILE (tar) or DIR (OCI layout) instead of stdin")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress the load output")
	return c
}

func spool(dir string, r io.Reader) (string, error) {
	f, err := os.CreateTemp(dir, "load-")
	if err != nil {
		return "", fmt.Errorf("load: %w", err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("load: read stdin: %w", err)
	}
	return f.Name(), nil
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func saveCmd(a *app) *cobra.Command {
	var output, format string
	c := &cobra.Command{
		Use:   "save [-o FILE] IMAGE [IMAGE...]",
		Short: "Save images to a docker-archive (default), OCI archive or OCI layout directory",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := archive.ParseFormat(format)
			if err != nil {
				return usageError(fmt.Errorf("--format: %w", err))
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			if f == archive.OCIDir {
				if output == "" {
					return usageError(fmt.Errorf("--format oci-dir needs -o DIR"))
				}
				sink, err := archive.NewDirSink(output)
				if err != nil {
					return err
				}
				return e.Save(cmd.Context(), sink, args, f)
			}
			if output == "" || output == "-" {
				if isTerminal(a.stdout) {
					return usageError(fmt.Errorf("cowardly refusing to write an archive to a terminal: use -o FILE or redirect stdout"))
				}
				return e.Save(cmd.Context(), archive.NewTarSink(a.stdout), args, f)
			}
			// Written beside the target and renamed at the end, so a failed
			// save never leaves a truncated archive under the asked name.
			tmp, err := os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".tmp-")
			if err != nil {
				return fmt.Errorf("save: %w", err)
			}
			defer os.Remove(tmp.Name())
			err = e.Save(cmd.Context(), archive.NewTarSink(tmp), args, f)
			if cerr := tmp.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			os.Chmod(tmp.Name(), 0o644)
			return os.Rename(tmp.Name(), output)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "write to FILE (or DIR for oci-dir) instead of stdout")
	c.Flags().StringVar(&format, "format", "docker", "archive format: docker, oci or oci-dir")
	return c
}

func importCmd(a *app) *cobra.Command {
	var message string
	c := &cobra.Command{
		Use:   "import FILE|- [REPOSITORY[:TAG]]",
		Short: "Create an image from a root filesystem tarball",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var r io.Reader = a.stdin
			src := "-"
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("import: %w", err)
				}
				defer f.Close()
				r, src = f, args[0]
			}
			opts := engineImportOptions(args, message, src)
			id, err := e.Import(cmd.Context(), r, opts)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, id)
			return nil
		},
	}
	c.Flags().StringVarP(&message, "message", "m", "", "set a commit message for the imported image")
	return c
}
