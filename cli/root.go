// Package cli is berth's docker-style command line: one cobra command per
// verb, each a thin layer that parses flags, calls the engine and renders its
// typed results. It holds no engine logic of its own.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"berth/config"
	"berth/engine"
)

// app is what every command shares: flags and the lazily opened engine.
type app struct {
	root   string
	eng    *engine.Engine
	stdout io.Writer
	stderr io.Writer
	stdin  io.Reader
}

func (a *app) engine() (*engine.Engine, error) {
	if a.eng == nil {
		cfg, err := config.Load(config.Path())
		if err != nil {
			return nil, err
		}
		e, err := engine.Open(a.root)
		if err != nil {
			return nil, err
		}
		e.RegistryOpts.Insecure = cfg.Registries.Insecure
		e.RegistryOpts.Mirrors = cfg.Registries.Mirrors
		a.eng = e
	}
	return a.eng, nil
}

// ExitError carries a specific exit status.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// usageError marks bad flags or arguments: docker exits 125 for those.
func usageError(err error) error { return &ExitError{Code: 125, Err: err} }

// NewRoot builds the command tree. tui runs when berth gets no arguments.
func NewRoot(tui func(ctx context.Context, e *engine.Engine) error) (*cobra.Command, *app) {
	a := &app{stdout: os.Stdout, stderr: os.Stderr, stdin: os.Stdin}
	root := &cobra.Command{
		Use:           "berth [command]",
		Short:         "A container workstation for the terminal",
		Long:          "berth builds, runs and shows containers. With no command it opens the workstation (TUI).",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return tui(cmd.Context(), e)
		},
	}
	root.PersistentFlags().StringVar(&a.root, "root", engine.DefaultRoot(), "berth's storage root (env BERTH_ROOT)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError(err) })
	root.AddGroup(&cobra.Group{ID: "containers", Title: "Containers:"}, &cobra.Group{ID: "images", Title: "Images:"},
		&cobra.Group{ID: "system", Title: "System:"})
	for _, c := range []*cobra.Command{
		runCmd(a), createCmd(a), startCmd(a), stopCmd(a), restartCmd(a), killCmd(a), rmCmd(a), psCmd(a), logsCmd(a),
		execCmd(a), attachCmd(a), waitCmd(a), topCmd(a), statsCmd(a), pauseCmd(a, true), pauseCmd(a, false),
		containerCmd(a), volumeCmd(a), diffCmd(a), commitCmd(a), exportCmd(a), renameCmd(a), cpCmd(a),
		portCmd(a), networkCmd(a),
	} {
		c.GroupID = "containers"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{
		imagesCmd(a), rmiCmd(a), tagCmd(a), historyCmd(a), loadCmd(a), saveCmd(a), importCmd(a), inspectCmd(a),
		pullCmd(a), pushCmd(a), loginCmd(a), logoutCmd(a), manifestCmd(a), buildCmd(a), builderCmd(a),
	} {
		c.GroupID = "images"
		root.AddCommand(c)
	}
	img, sys := imageCmd(a), systemCmd(a)
	img.GroupID, sys.GroupID = "images", "system"
	root.AddCommand(img, sys, versionCmd(a), layerToolCmd(a), monitorCmd(a), ociCmd(a), networkTeardownCmd(a))
	return root, a
}

// Execute runs berth with args on the process's stdio and returns the exit
// status.
func Execute(args []string, tui func(ctx context.Context, e *engine.Engine) error) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, os.Stdin, os.Stdout, os.Stderr, tui)
}

// Run runs berth with the given stdio; tests call it in-process.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, tui func(ctx context.Context, e *engine.Engine) error) int {
	root, a := NewRoot(tui)
	a.stdin, a.stdout, a.stderr = stdin, stdout, stderr
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if !errors.Is(err, errSilent) {
		fmt.Fprintf(a.stderr, "berth: %v\n", err)
	}
	if errors.As(err, &ee) {
		return ee.Code
	}
	if isUsage(err) {
		return 125
	}
	return 1
}

// isUsage recognizes cobra's own argument errors, which it does not type.
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func versionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Show berth's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(a.stdout, "berth %s\n", Version)
			return nil
		},
	}
}

// Version is set at build time with -ldflags "-X berth/cli.Version=...".
var Version = "dev"
