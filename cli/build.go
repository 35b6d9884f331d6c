package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"berth/engine"
	"berth/engine/build"
)

func buildCmd(a *app) *cobra.Command {
	var (
		o        build.Options
		args     []string
		labels   []string
		progress string
		quiet    bool
		iidfile  string
		platform string
	)
	c := &cobra.Command{
		Use:   "build [OPTIONS] PATH",
		Short: "Build an image from a Dockerfile",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, pos []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			o.ContextDir = pos[0]
			if o.BuildArgs, err = keyValues("--build-arg", args, true); err != nil {
				return usageError(err)
			}
			lm, err := keyValues("--label", labels, false)
			if err != nil {
				return usageError(err)
			}
			o.Labels = lm
			switch o.Network {
			case "", "default", "host", "none":
			default:
				return usageError(fmt.Errorf("--network %q: builds run with default (the host's), host or none", o.Network))
			}
			if platform != "" && platform != "linux/"+runtime.GOARCH {
				return usageError(fmt.Errorf("--platform %s: berth builds for this machine's platform, linux/%s", platform, runtime.GOARCH))
			}
			if o.Dockerfile == "-" {
				path, cleanup, err := stdinDockerfile(e, a.stdin)
				if err != nil {
					return err
				}
				defer cleanup()
				o.Dockerfile = path
			}
			switch progress {
			case "auto", "plain", "tty":
			case "quiet":
				quiet = true
			default:
				return usageError(fmt.Errorf("--progress %q: want auto, plain, tty or quiet", progress))
			}
			var tty *buildTTY
			switch {
			case quiet:
			case progress == "tty" || progress == "auto" && isTerminal(a.stderr):
				// docker's default on a terminal: steps redrawn in place.
				width := 80
				if f, ok := a.stderr.(*os.File); ok {
					if w, _, err := term.GetSize(int(f.Fd())); err == nil {
						width = w
					}
				}
				tty = newBuildTTY(a.stderr, width)
				o.Progress = tty.event
			default:
				log := build.NewPlainLog()
				o.Progress = func(ev build.Event) { fmt.Fprintln(a.stderr, log.Line(ev)) }
			}
			res, err := build.Build(cmd.Context(), e, o)
			if tty != nil {
				tty.finish()
			}
			if err != nil {
				return err
			}
			if iidfile != "" {
				if err := os.WriteFile(iidfile, []byte(res.ID.String()), 0o644); err != nil {
					return fmt.Errorf("--iidfile: %w", err)
				}
			}
			if quiet {
				fmt.Fprintln(a.stdout, res.ID)
				return nil
			}
			fmt.Fprintf(a.stdout, "Successfully built %s\n", engine.ShortID(res.ID))
			for _, t := range o.Tags {
				fmt.Fprintf(a.stdout, "Successfully tagged %s\n", t)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVarP(&o.Dockerfile, "file", "f", "", "the Dockerfile (default PATH/Dockerfile; - reads stdin)")
	f.StringArrayVarP(&o.Tags, "tag", "t", nil, "name and optionally a tag, name:tag")
	f.StringArrayVar(&args, "build-arg", nil, "set a build-time variable, KEY=VALUE (KEY alone takes it from the environment)")
	f.StringVar(&o.Target, "target", "", "build this stage and stop")
	f.BoolVar(&o.NoCache, "no-cache", false, "run every step, use no cached result")
	f.BoolVar(&o.Pull, "pull", false, "always pull the FROM images")
	f.StringVar(&o.Network, "network", "default", "network for RUN steps: default (the host's), host or none")
	f.StringArrayVar(&labels, "label", nil, "set a label on the image, KEY=VALUE")
	f.StringVar(&progress, "progress", "auto", "progress output: auto (tty on a terminal, else plain), plain, tty or quiet")
	f.BoolVarP(&quiet, "quiet", "q", false, "print only the image ID")
	f.StringVar(&iidfile, "iidfile", "", "write the image ID to this file")
	f.StringVar(&platform, "platform", "", "target platform (only this machine's)")
	return c
}

// keyValues reads repeated KEY=VALUE flags; fromEnv lets KEY alone take
// its value from the environment, as --build-arg does.
func keyValues(flag string, in []string, fromEnv bool) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range in {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("%s %q: want KEY=VALUE", flag, kv)
		}
		if !ok {
			if !fromEnv {
				return nil, fmt.Errorf("%s %q: want KEY=VALUE", flag, kv)
			}
			ev, set := os.LookupEnv(k)
			if !set {
				continue
			}
			v = ev
		}
		out[k] = v
	}
	return out, nil
}

func stdinDockerfile(e *engine.Engine, in io.Reader) (string, func(), error) {
	dir, err := os.MkdirTemp(e.Store.Path("tmp"), "dockerfile-")
	if err != nil {
		return "", nil, err
	}
	p := filepath.Join(dir, "Dockerfile")
	b, err := io.ReadAll(io.LimitReader(in, 16<<20))
	if err == nil {
		err = os.WriteFile(p, b, 0o644)
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("read Dockerfile from stdin: %w", err)
	}
	return p, func() { os.RemoveAll(dir) }, nil
}

func builderCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "builder", Short: "Manage the build cache"}
	var force bool
	prune := &cobra.Command{
		Use:   "prune",
		Short: "Remove the build cache",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if !force && !a.confirm("This will remove all build cache.") {
				return nil
			}
			n, bytes, err := e.PruneBuildCache(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Deleted build cache entries: %d\nTotal reclaimed space: %s\n", n, humanSize(bytes))
			return nil
		},
	}
	prune.Flags().BoolVarP(&force, "force", "f", false, "do not ask for confirmation")
	prune.Flags().BoolP("all", "a", false, "remove all cache (berth's cache is always removed whole)")
	c.AddCommand(prune)
	return c
}
