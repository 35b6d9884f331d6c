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
	"time"

	"github.com/creack/pty"
	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/image"
	"berth/engine/monitor"
)

// exitFrom turns an engine error into docker's exit codes: 125 for berth's
// own failures, 126/127 when the command cannot run.
func exitFrom(err error) error {
	if err == nil {
		return nil
	}
	var se *engine.StartError
	if errors.As(err, &se) {
		return &ExitError{Code: se.Code, Err: err}
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	return &ExitError{Code: 125, Err: err}
}

func runCmd(a *app) *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, id, err := a.createFromFlags(cmd, &f, args)
			if err != nil {
				return err
			}
			if f.detach {
				if err := e.StartDetached(cmd.Context(), id); err != nil {
					return exitFrom(err)
				}
				fmt.Fprintln(a.stdout, id)
				return nil
			}
			return a.runForeground(cmd.Context(), e, id, f.interactive, f.tty)
		},
	}
	f.register(c.Flags(), true)
	return c
}

// runForeground supervises the container in this process with the user's
// terminal attached, and exits with the container's code.
func (a *app) runForeground(ctx context.Context, e *engine.Engine, id string, interactive, tty bool) error {
	local := &monitor.Local{Stdout: a.stdout, Stderr: a.stderr}
	restore := func() {}
	if interactive {
		local.Stdin = a.stdin
	}
	if f, ok := a.stdin.(*os.File); ok && tty {
		restore, local.Size, local.Resize = rawTerminal(f)
	}
	defer restore()
	// Without a TTY, ctrl-c and kill reach the container, as docker's
	// --sig-proxy does; with one, the terminal sends them itself.
	sigs := make(chan os.Signal, 4)
	if !tty {
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
		defer signal.Stop(sigs)
		go func() {
			for s := range sigs {
				e.Kill(context.Background(), id, s.(syscall.Signal))
			}
		}()
	}
	code, err := e.RunContainer(context.WithoutCancel(ctx), id, local, nil)
	restore()
	if err != nil {
		return exitFrom(err)
	}
	if code != 0 {
		return &ExitError{Code: code, Err: errSilent}
	}
	return nil
}

// errSilent is an exit status with nothing to print.
var errSilent = errors.New("")

func createCmd(a *app) *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, id, err := a.createFromFlags(cmd, &f, args)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, id)
			return nil
		},
	}
	f.register(c.Flags(), false)
	return c
}

func startCmd(a *app) *cobra.Command {
	var attach, interactive bool
	c := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			if attach || interactive {
				if len(args) > 1 {
					return usageError(fmt.Errorf("you cannot start and attach multiple containers at once"))
				}
				ci, err := e.Container(args[0])
				if err != nil {
					return err
				}
				return a.runForeground(cmd.Context(), e, ci.Record.ID, interactive, ci.Record.Config.Tty)
			}
			return eachContainer(a, args, func(name string) error { return e.StartDetached(cmd.Context(), name) })
		},
	}
	c.Flags().BoolVarP(&attach, "attach", "a", false, "attach STDOUT/STDERR and forward signals")
	c.Flags().BoolVarP(&interactive, "interactive", "i", false, "attach STDIN")
	return c
}

// eachContainer applies fn to every name, printing each that worked and
// reporting failures as docker does (all attempted, last error returned).
func eachContainer(a *app, names []string, fn func(string) error) error {
	var errs []error
	for _, n := range names {
		if err := fn(n); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(a.stdout, n)
	}
	for _, err := range errs[:max(0, len(errs)-1)] {
		fmt.Fprintf(a.stderr, "berth: %v\n", err)
	}
	if len(errs) > 0 {
		return errs[len(errs)-1]
	}
	return nil
}

func stopCmd(a *app) *cobra.Command {
	var t int
	c := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Stop one or more running containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var timeout *time.Duration
			if cmd.Flags().Changed("time") {
				d := time.Duration(t) * time.Second
				timeout = &d
			}
			return eachContainer(a, args, func(n string) error { return e.Stop(cmd.Context(), n, timeout) })
		},
	}
	c.Flags().IntVarP(&t, "time", "t", 10, "seconds to wait before killing")
	return c
}

func restartCmd(a *app) *cobra.Command {
	var t int
	c := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Restart one or more containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			d := time.Duration(t) * time.Second
			return eachContainer(a, args, func(n string) error {
				if err := e.Stop(cmd.Context(), n, &d); err != nil {
					return err
				}
				return e.StartDetached(cmd.Context(), n)
			})
		},
	}
	c.Flags().IntVarP(&t, "time", "t", 10, "seconds to wait before killing")
	return c
}

func killCmd(a *app) *cobra.Command {
	var sig string
	c := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := engine.ParseSignal(sig)
			if err != nil {
				return usageError(fmt.Errorf("--signal: %w", err))
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachContainer(a, args, func(n string) error { return e.Kill(cmd.Context(), n, s) })
		},
	}
	c.Flags().StringVarP(&sig, "signal", "s", "KILL", "signal to send")
	return c
}

func rmCmd(a *app) *cobra.Command {
	var force, volumes bool
	c := &cobra.Command{
		Use:   "rm [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Remove one or more containers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachContainer(a, args, func(n string) error { return e.RemoveContainer(cmd.Context(), n, force, volumes) })
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "kill and remove a running container")
	c.Flags().BoolVarP(&volumes, "volumes", "v", false, "remove anonymous volumes")
	return c
}

func pauseCmd(a *app, pause bool) *cobra.Command {
	use, short := "pause", "Pause all processes within one or more containers"
	if !pause {
		use, short = "unpause", "Unpause all processes within one or more containers"
	}
	return &cobra.Command{
		Use:   use + " CONTAINER [CONTAINER...]",
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return eachContainer(a, args, func(n string) error {
				if pause {
					return e.Pause(cmd.Context(), n)
				}
				return e.Unpause(cmd.Context(), n)
			})
		},
	}
}

func waitCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			for _, n := range args {
				code, err := e.Wait(cmd.Context(), n)
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, code)
			}
			return nil
		},
	}
}

func execCmd(a *app) *cobra.Command {
	var detach, interactive, tty bool
	var user, workdir string
	var env []string
	c := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return exitFrom(err)
			}
			o := engine.ExecOptions{Cmd: args[1:], Env: env, User: user, Workdir: workdir, Tty: tty}
			code, err := a.exec(cmd.Context(), e, args[0], o, interactive, detach)
			if err != nil {
				return exitFrom(err)
			}
			if code != 0 {
				return &ExitError{Code: code, Err: errSilent}
			}
			return nil
		},
	}
	c.Flags().SetInterspersed(false)
	c.Flags().BoolVarP(&detach, "detach", "d", false, "run the command in the background")
	c.Flags().BoolVarP(&interactive, "interactive", "i", false, "keep STDIN open")
	c.Flags().BoolVarP(&tty, "tty", "t", false, "allocate a pseudo-TTY")
	c.Flags().StringVarP(&user, "user", "u", "", "user (name|uid[:group|gid])")
	c.Flags().StringVarP(&workdir, "workdir", "w", "", "working directory inside the container")
	c.Flags().StringArrayVarP(&env, "env", "e", nil, "set environment variables")
	return c
}

func (a *app) exec(ctx context.Context, e *engine.Engine, ref string, o engine.ExecOptions, interactive, detach bool) (int, error) {
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	if detach {
		// Return once it runs; the init reaps it whenever it ends.
		started := make(chan struct{})
		o.Started = func(int) { close(started) }
		done := make(chan error, 1)
		go func() {
			_, err := e.Exec(context.WithoutCancel(ctx), ref, o, [3]*os.File{devnull, devnull, devnull}, nil)
			done <- err
		}()
		select {
		case <-started:
			return 0, nil
		case err := <-done:
			return 125, err
		}
	}
	in, _ := a.stdin.(*os.File)
	out, _ := a.stdout.(*os.File)
	errf, _ := a.stderr.(*os.File)
	if o.Tty {
		m, s, err := pty.Open()
		if err != nil {
			return 125, err
		}
		defer m.Close()
		restore, size := func() {}, (*monitor.Winsize)(nil)
		var resize <-chan monitor.Winsize
		if in != nil && interactive {
			restore, size, resize = rawTerminal(in)
		}
		defer restore()
		if size != nil {
			pty.Setsize(m, &pty.Winsize{Rows: size.Rows, Cols: size.Cols})
		}
		go func() {
			for ws := range resize {
				pty.Setsize(m, &pty.Winsize{Rows: ws.Rows, Cols: ws.Cols})
			}
		}()
		if interactive {
			go io.Copy(m, a.stdin)
		}
		copied := make(chan struct{})
		go func() { io.Copy(a.stdout, m); close(copied) }()
		code, err := e.Exec(ctx, ref, o, [3]*os.File{s, s, s}, nil)
		s.Close()
		select {
		case <-copied:
		case <-time.After(time.Second):
		}
		return code, err
	}
	stdin := devnull
	if interactive && in != nil {
		stdin = in
	}
	// Without a TTY the process gets this process's own descriptors: no
	// copying, and pipes work as with docker.
	if out == nil || errf == nil {
		return a.execPiped(ctx, e, ref, o, stdin)
	}
	sigs := make(chan syscall.Signal, 4)
	osigs := make(chan os.Signal, 4)
	signal.Notify(osigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(osigs)
	go func() {
		for s := range osigs {
			sigs <- s.(syscall.Signal)
		}
	}()
	return e.Exec(ctx, ref, o, [3]*os.File{stdin, out, errf}, sigs)
}

// execPiped serves writers that are not files (tests, the TUI).
func (a *app) execPiped(ctx context.Context, e *engine.Engine, ref string, o engine.ExecOptions, stdin *os.File) (int, error) {
	or, ow, err := os.Pipe()
	if err != nil {
		return 125, err
	}
	er, ew, err := os.Pipe()
	if err != nil {
		return 125, err
	}
	done := make(chan struct{}, 2)
	go func() { io.Copy(a.stdout, or); done <- struct{}{} }()
	go func() { io.Copy(a.stderr, er); done <- struct{}{} }()
	code, err := e.Exec(ctx, ref, o, [3]*os.File{stdin, ow, ew}, nil)
	ow.Close()
	ew.Close()
	<-done
	<-done
	return code, err
}

func attachCmd(a *app) *cobra.Command {
	var noStdin bool
	var keys string
	c := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			ci, err := e.Container(args[0])
			if err != nil {
				return err
			}
			if ci.State.Status != monitor.Running {
				return fmt.Errorf("cannot attach to container %s: it is not running", ci.Record.Name)
			}
			detachKeys, err := parseDetachKeys(keys)
			if err != nil {
				return usageError(err)
			}
			var stdin io.Reader
			restore := func() {}
			var resize <-chan monitor.Winsize
			var size *monitor.Winsize
			if !noStdin && ci.Record.Config.OpenStdin {
				stdin = a.stdin
				if f, ok := a.stdin.(*os.File); ok && ci.Record.Config.Tty {
					restore, size, resize = rawTerminal(f)
				}
			}
			defer restore()
			if size != nil {
				ch := make(chan monitor.Winsize, 4)
				ch <- *size
				go func() {
					for ws := range resize {
						ch <- ws
					}
				}()
				resize = ch
			}
			code, detached, err := monitor.Attach(e.Store.Path("containers", ci.Record.ID, monitor.AttachSocket),
				stdin, a.stdout, a.stderr, resize, detachKeys)
			restore()
			if err != nil {
				return err
			}
			if detached {
				fmt.Fprintln(a.stderr, "\r\nread escape sequence")
				return nil
			}
			if code != 0 {
				return &ExitError{Code: code, Err: errSilent}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&noStdin, "no-stdin", false, "do not attach STDIN")
	c.Flags().StringVar(&keys, "detach-keys", "ctrl-p,ctrl-q", "key sequence for detaching")
	c.Flags().Bool("sig-proxy", true, "accepted for docker compatibility")
	return c
}

// parseDetachKeys reads docker's "ctrl-p,ctrl-q" form.
func parseDetachKeys(s string) ([]byte, error) {
	var out []byte
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(strings.ToLower(k))
		switch {
		case strings.HasPrefix(k, "ctrl-") && len(k) == 6 && k[5] >= 'a' && k[5] <= 'z':
			out = append(out, k[5]-'a'+1)
		case strings.HasPrefix(k, "ctrl-") && len(k) == 6 && strings.ContainsRune("@[\\]^_", rune(k[5])):
			out = append(out, k[5]-'@')
		case len(k) == 1:
			out = append(out, k[0])
		default:
			return nil, fmt.Errorf("--detach-keys: invalid key %q", k)
		}
	}
	return out, nil
}

func monitorCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:    "__monitor ID",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			os.Exit(e.MonitorMain(args[0]))
			return nil
		},
	}
}

// createPulling creates the container, pulling its image first when it is
// not stored (as docker run does); progress goes to stderr so stdout stays
// the container's.
func (a *app) createPulling(ctx context.Context, e *engine.Engine, o engine.CreateOptions) (string, error) {
	id, err := e.CreateContainer(ctx, o)
	if err == nil || !errors.Is(err, engine.ErrImageNotFound) || image.LooksLikeID(o.Image) {
		return id, err
	}
	fmt.Fprintf(a.stderr, "Unable to find image '%s' locally\n", o.Image)
	saved := a.stdout
	a.stdout = a.stderr
	perr := a.pull(ctx, e, o.Image, engine.PullOptions{}, false)
	a.stdout = saved
	if perr != nil {
		return "", fmt.Errorf("%w (pulling it failed: %v)", err, perr)
	}
	return e.CreateContainer(ctx, o)
}

// createFromFlags is what run and create share: flags to options, then the
// container (pulling its image when missing).
func (a *app) createFromFlags(cmd *cobra.Command, f *runFlags, args []string) (*engine.Engine, string, error) {
	f.entrypointSet = cmd.Flags().Changed("entrypoint")
	o, err := f.options(args)
	if err != nil {
		return nil, "", usageError(err)
	}
	e, err := a.engine()
	if err != nil {
		return nil, "", exitFrom(err)
	}
	id, err := a.createPulling(cmd.Context(), e, o)
	if err != nil {
		return nil, "", exitFrom(err)
	}
	return e, id, nil
}
