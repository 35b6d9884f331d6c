package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/events"
	"berth/engine/image"
	"berth/engine/registry"
)

// progress renders layer events: docker-like bars redrawn in place on a
// terminal, one line per state change otherwise.
func (a *app) progress(e *engine.Engine, quiet bool) func() {
	sub := e.Events.Subscribe(1024)
	tty := isTerminal(a.stdout)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var order []string
		lines := map[string]string{}
		last := map[string]string{}
		drawn := 0
		for ev := range sub.C {
			if quiet || ev.Type != events.Layer {
				continue
			}
			line := ev.ID + ": " + ev.Status
			if ev.Total > 0 && (ev.Status == "Downloading" || ev.Status == "Pushing") {
				line += " " + bar(ev.Current, ev.Total) + " " + humanSize(ev.Current) + "/" + humanSize(ev.Total)
			}
			if _, ok := lines[ev.ID]; !ok {
				order = append(order, ev.ID)
			}
			lines[ev.ID] = line
			if !tty {
				if last[ev.ID] != ev.Status {
					fmt.Fprintln(a.stdout, ev.ID+": "+ev.Status)
					last[ev.ID] = ev.Status
				}
				continue
			}
			if drawn > 0 {
				fmt.Fprintf(a.stdout, "\033[%dA", drawn)
			}
			for _, id := range order {
				fmt.Fprintf(a.stdout, "\r\033[K%s\n", lines[id])
			}
			drawn = len(order)
		}
	}()
	return func() {
		sub.Close()
		wg.Wait()
	}
}

func bar(cur, total int64) string {
	const width = 40
	n := int(cur * width / max(total, 1))
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("=", n) + ">" + strings.Repeat(" ", width-n) + "]"
}

func pullCmd(a *app) *cobra.Command {
	var o engine.PullOptions
	var quiet bool
	var tlsVerify bool
	c := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			e.RegistryOpts.NoTLSVerify = !tlsVerify
			return a.pull(cmd.Context(), e, args[0], o, quiet)
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress verbose output")
	c.Flags().BoolVarP(&o.AllTags, "all-tags", "a", false, "download all tagged images in the repository")
	c.Flags().StringVar(&o.Platform, "platform", "", "platform os/arch[/variant] (default: this host's)")
	c.Flags().BoolVar(&tlsVerify, "tls-verify", true, "verify registry certificates")
	return c
}

func (a *app) pull(ctx context.Context, e *engine.Engine, name string, o engine.PullOptions, quiet bool) error {
	ref, err := image.ParseRef(name)
	if err != nil {
		return err
	}
	if !quiet && !o.AllTags {
		tag := ref.Tag()
		if tag == "" {
			tag = ref.Digest().String()
		}
		fmt.Fprintf(a.stdout, "%s: Pulling from %s\n", tag, ref.FamiliarRepository())
	}
	done := a.progress(e, quiet)
	ids, err := e.Pull(ctx, name, o)
	done()
	if err != nil {
		return err
	}
	if quiet {
		fmt.Fprintln(a.stdout, ref.String())
		return nil
	}
	if im, err := e.ResolveImage(ctx, name); err == nil && len(ids) > 0 {
		fmt.Fprintf(a.stdout, "Digest: %s\nStatus: Downloaded newer image for %s\n%s\n", im.Manifest.Digest, ref.Familiar(), ref.String())
	}
	return nil
}

func pushCmd(a *app) *cobra.Command {
	var quiet, tlsVerify bool
	c := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			e.RegistryOpts.NoTLSVerify = !tlsVerify
			ref, err := image.ParseRef(args[0])
			if err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(a.stdout, "The push refers to repository [%s]\n", ref.Repository())
			}
			done := a.progress(e, quiet)
			err = e.Push(cmd.Context(), args[0])
			done()
			if err != nil {
				return err
			}
			im, _ := e.ResolveImage(cmd.Context(), args[0])
			if im != nil && !quiet {
				fmt.Fprintf(a.stdout, "%s: digest: %s size: %d\n", ref.Tag(), im.Manifest.Digest, im.Manifest.Size)
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "suppress verbose output")
	c.Flags().BoolVar(&tlsVerify, "tls-verify", true, "verify registry certificates")
	return c
}

// registryHost reads `berth login [SERVER]`: a bare name is Docker Hub.
func registryHost(args []string) string {
	if len(args) == 0 {
		return "docker.io"
	}
	h := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(args[0], "https://"), "http://"), "/")
	h, _, _ = strings.Cut(h, "/")
	return h
}

func loginCmd(a *app) *cobra.Command {
	var user, password string
	var stdin, tlsVerify bool
	c := &cobra.Command{
		Use:   "login [OPTIONS] [SERVER]",
		Short: "Log in to a registry (credentials go to docker's config.json)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host := registryHost(args)
			if stdin {
				if password != "" {
					return usageError(errors.New("--password and --password-stdin are mutually exclusive"))
				}
				b, err := io.ReadAll(io.LimitReader(a.stdin, 1<<20))
				if err != nil {
					return err
				}
				password = strings.TrimRight(string(b), "\r\n")
			}
			if user == "" {
				fmt.Fprint(a.stdout, "Username: ")
				line, _ := bufio.NewReader(a.stdin).ReadString('\n')
				user = strings.TrimSpace(line)
			}
			if user == "" || password == "" {
				return usageError(errors.New("login needs a username and a password (-u, --password-stdin)"))
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			cl := registry.New(registry.Options{NoTLSVerify: !tlsVerify, Insecure: e.RegistryOpts.Insecure,
				Credentials: func(string) (string, string) { return user, password }})
			if err := cl.Ping(cmd.Context(), host); err != nil {
				return fmt.Errorf("login %s: %w", host, err)
			}
			cfg, err := registry.LoadDockerConfig(registry.DockerConfigPath())
			if err != nil {
				return err
			}
			if err := cfg.Store(host, user, password); err != nil {
				return fmt.Errorf("login %s: save credentials: %w", host, err)
			}
			fmt.Fprintln(a.stdout, "Login Succeeded")
			return nil
		},
	}
	c.Flags().StringVarP(&user, "username", "u", "", "username")
	c.Flags().StringVarP(&password, "password", "p", "", "password (prefer --password-stdin)")
	c.Flags().BoolVar(&stdin, "password-stdin", false, "take the password from stdin")
	c.Flags().BoolVar(&tlsVerify, "tls-verify", true, "verify registry certificates")
	return c
}

func logoutCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "logout [SERVER]",
		Short: "Log out from a registry",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host := registryHost(args)
			cfg, err := registry.LoadDockerConfig(registry.DockerConfigPath())
			if err != nil {
				return err
			}
			had, err := cfg.Erase(host)
			if err != nil {
				return err
			}
			if !had {
				fmt.Fprintf(a.stdout, "Not logged in to %s\n", host)
				return nil
			}
			fmt.Fprintf(a.stdout, "Removing login credentials for %s\n", host)
			return nil
		},
	}
}

func manifestCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "manifest", Short: "Inspect manifests in registries", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() }}
	var tlsVerify bool
	inspect := &cobra.Command{
		Use:   "inspect NAME[:TAG|@DIGEST]",
		Short: "Print an image's manifest or index from its registry (raw JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := image.ParseRef(args[0])
			if err != nil {
				return err
			}
			e, err := a.engine()
			if err != nil {
				return err
			}
			e.RegistryOpts.NoTLSVerify = !tlsVerify
			reference := ref.Tag()
			if d := ref.Digest(); d != "" {
				reference = d.String()
			}
			b, _, err := e.Registry().Manifest(cmd.Context(), registry.RepoOf(ref), reference)
			if err != nil {
				return fmt.Errorf("manifest %s: %w", ref.Familiar(), err)
			}
			var v any
			if json.Unmarshal(b, &v) == nil {
				out, _ := json.MarshalIndent(v, "", "   ")
				b = out
			}
			fmt.Fprintln(a.stdout, string(b))
			return nil
		},
	}
	inspect.Flags().BoolVar(&tlsVerify, "tls-verify", true, "verify registry certificates")
	c.AddCommand(inspect)
	return c
}
