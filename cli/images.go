package cli

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"berth/engine"
	"berth/engine/image"
)

// imageRow is what --format templates see for `berth images`.
type imageRow struct {
	ID           string
	Repository   string
	Tag          string
	Digest       string
	CreatedSince string
	CreatedAt    string
	Size         string
	Containers   int
}

func imagesCmd(a *app) *cobra.Command {
	var quiet, digests, noTrunc, all bool
	var format string
	var filters []string
	c := &cobra.Command{
		Use:   "images [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			list := e.ImagesWithoutUsage
			if strings.Contains(format, "Containers") || strings.Contains(format, "json") { // the only outputs that show usage
				list = e.Images
			}
			imgs, err := list(cmd.Context())
			if err != nil {
				return err
			}
			match, err := imageFilter(args, filters)
			if err != nil {
				return usageError(err)
			}
			now := time.Now()
			var rows []any
			seen := map[string]bool{}
			for _, im := range imgs {
				id := engine.ShortID(im.ID)
				if noTrunc {
					id = im.ID.String()
				}
				tags := im.RepoTags
				if len(tags) == 0 {
					tags = []string{""}
				}
				byRepo := digestsByRepo(im.RepoDigests)
				for _, t := range tags {
					if !match(im, t) {
						continue
					}
					if quiet {
						if !seen[id] {
							fmt.Fprintln(a.stdout, id)
						}
						seen[id] = true
						continue
					}
					r := imageRow{ID: id, Repository: "<none>", Tag: "<none>", Digest: "<none>",
						CreatedSince: since(im.Created, now), CreatedAt: im.Created.Format("2006-01-02 15:04:05 -0700 MST"),
						Size: humanSize(im.Size), Containers: im.Containers}
					if t != "" {
						r.Repository, r.Tag = image.SplitFamiliar(t)
					}
					r.Digest = digestFor(byRepo, t)
					rows = append(rows, r)
				}
			}
			if quiet {
				return nil
			}
			table := "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
			if digests {
				table = "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
			}
			return render(a.stdout, format, table, imageRow{}, rows)
		},
	}
	f := c.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	f.BoolVar(&digests, "digests", false, "show digests")
	f.BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	f.BoolVarP(&all, "all", "a", false, "show all images (berth keeps no intermediate images; accepted for docker compatibility)")
	f.StringVar(&format, "format", "", "format output: table, json, or a Go template")
	f.StringArrayVarP(&filters, "filter", "f", nil, "filter output (dangling=true|false, reference=PATTERN)")
	return c
}

// imageFilter builds the row predicate from the REPOSITORY[:TAG] argument and
// --filter flags.
func imageFilter(args, filters []string) (func(engine.ImageSummary, string) bool, error) {
	var preds []func(engine.ImageSummary, string) bool
	refMatch := func(pattern string) func(engine.ImageSummary, string) bool {
		return func(_ engine.ImageSummary, t string) bool {
			if t == "" {
				return false
			}
			fam := image.FamiliarRef(t)
			repo, _ := image.SplitFamiliar(t)
			// A tag is a colon after the last slash (a registry port is not).
			if !strings.Contains(pattern[strings.LastIndex(pattern, "/")+1:], ":") {
				return globMatch(pattern, repo)
			}
			return globMatch(pattern, fam)
		}
	}
	if len(args) == 1 {
		preds = append(preds, refMatch(args[0]))
	}
	for _, f := range filters {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("--filter %q: want KEY=VALUE", f)
		}
		switch k {
		case "dangling":
			want := v == "true"
			if v != "true" && v != "false" {
				return nil, fmt.Errorf("--filter dangling=%q: want true or false", v)
			}
			preds = append(preds, func(im engine.ImageSummary, t string) bool { return (len(im.RepoTags) == 0) == want })
		case "reference":
			preds = append(preds, refMatch(v))
		default:
			return nil, fmt.Errorf("--filter %q: unknown filter %q (want dangling or reference)", f, k)
		}
	}
	return func(im engine.ImageSummary, t string) bool {
		for _, p := range preds {
			if !p(im, t) {
				return false
			}
		}
		return true
	}, nil
}

func globMatch(pattern, s string) bool {
	ok, err := path.Match(pattern, s)
	return err == nil && ok
}

// digestFor picks the repo digest in tag's repository ("<none>" if none).
// digestsByRepo maps each repository of an image to its digest, parsed once
// per image: an image with many tags would otherwise parse its digests once
// per tag.
func digestsByRepo(repoDigests []string) map[string]string {
	out := map[string]string{}
	for _, d := range repoDigests {
		if dr, err := image.ParseRef(d); err == nil {
			if _, ok := out[dr.Repository()]; !ok {
				out[dr.Repository()] = dr.Digest().String()
			}
			if _, ok := out[""]; !ok {
				out[""] = dr.Digest().String()
			}
		}
	}
	return out
}

// digestFor is the digest shown beside tag: its repository's, or for an
// untagged row the image's first.
func digestFor(byRepo map[string]string, tag string) string {
	key := ""
	if tr, err := image.ParseRef(tag); err == nil {
		key = tr.Repository()
	}
	if d, ok := byRepo[key]; ok {
		return d
	}
	return "<none>"
}

func rmiCmd(a *app) *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use:   "rmi IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var errs []error
			for _, name := range args {
				res, err := e.RemoveImage(cmd.Context(), name, force)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				for _, r := range res {
					if r.Untagged != "" {
						fmt.Fprintf(a.stdout, "Untagged: %s\n", image.FamiliarRef(r.Untagged))
					} else {
						fmt.Fprintf(a.stdout, "Deleted: %s\n", r.Deleted)
					}
				}
			}
			// Like docker: remove what can be removed, then report each failure.
			for _, err := range errs[:max(0, len(errs)-1)] {
				fmt.Fprintf(a.stderr, "berth: %v\n", err)
			}
			if len(errs) > 0 {
				return errs[len(errs)-1]
			}
			return nil
		},
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "remove even if containers use the image or it has several names")
	return c
}

func tagCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			return e.Tag(cmd.Context(), args[0], args[1])
		},
	}
}

type historyRow struct {
	ID, CreatedSince, CreatedAt, CreatedBy, Size, Comment string
}

func historyCmd(a *app) *cobra.Command {
	var quiet, noTrunc, human bool
	var format string
	c := &cobra.Command{
		Use:   "history IMAGE",
		Short: "Show the history of an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			hist, err := e.History(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			now := time.Now()
			var rows []any
			for _, h := range hist {
				id := h.ID
				if !noTrunc && strings.HasPrefix(id, "sha256:") {
					id = id[7:19]
				}
				if quiet {
					fmt.Fprintln(a.stdout, id)
					continue
				}
				by := strings.ReplaceAll(h.CreatedBy, "\n", " ")
				if !noTrunc && len(by) > 45 {
					by = by[:44] + "…"
				}
				size := humanSize(h.Size)
				if !human {
					size = fmt.Sprint(h.Size)
				}
				rows = append(rows, historyRow{ID: id, CreatedSince: since(h.Created, now),
					CreatedAt: h.Created.Format(time.RFC3339), CreatedBy: by, Size: size, Comment: h.Comment})
			}
			if quiet {
				return nil
			}
			return render(a.stdout, format, "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", historyRow{}, rows)
		},
	}
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "only show image IDs")
	c.Flags().BoolVar(&noTrunc, "no-trunc", false, "don't truncate output")
	c.Flags().BoolVarP(&human, "human", "H", true, "print sizes in human readable format")
	c.Flags().StringVar(&format, "format", "", "format output: table, json, or a Go template")
	return c
}

func inspectCmd(a *app) *cobra.Command { return inspectKind(a, true, true) }

// inspectKind: `inspect` looks at containers then images; `image inspect`
// only images; `container inspect` only containers.
func inspectKind(a *app, containers, imagesToo bool) *cobra.Command {
	images := !containers
	var format string
	c := &cobra.Command{
		Use:   "inspect IMAGE [IMAGE...]",
		Short: "Show low-level information on images",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			var out []any
			for _, n := range args {
				// Like docker: a container by that name first, then an image.
				if containers && !images {
					if ci, err := e.Container(n); err == nil {
						out = append(out, containerInspectJSON(ci))
						continue
					} else if !imagesToo {
						return err
					}
				}
				ins, err := e.InspectImage(cmd.Context(), n)
				if err != nil {
					return err
				}
				out = append(out, asJSONMap(ins))
			}
			if format != "" {
				// Templates see the JSON field names ({{.Id}}), as with docker.
				return render(a.stdout, format, "", nil, out)
			}
			b, err := json.MarshalIndent(out, "", "    ")
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, string(b))
			return nil
		},
	}
	c.Flags().StringVarP(&format, "format", "f", "", "format output with a Go template")
	return c
}

func imageCmd(a *app) *cobra.Command {
	c := &cobra.Command{Use: "image", Short: "Manage images", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() }}
	ls := imagesCmd(a)
	ls.Use, ls.Aliases = "ls [REPOSITORY[:TAG]]", []string{"list"}
	rm := rmiCmd(a)
	rm.Use, rm.Aliases = "rm IMAGE [IMAGE...]", nil
	for _, sub := range []*cobra.Command{tagCmd(a), historyCmd(a), inspectKind(a, false, true), loadCmd(a), saveCmd(a), importCmd(a)} {
		sub.Aliases = nil
		c.AddCommand(sub)
	}
	c.AddCommand(ls, rm, imagePruneCmd(a), analyzeCmd(a))
	return c
}

func imagePruneCmd(a *app) *cobra.Command {
	var all, force bool
	c := &cobra.Command{
		Use:   "prune",
		Short: "Remove unused images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			msg := "This will remove all dangling images."
			if all {
				msg = "This will remove all images without at least one container associated to them."
			}
			if !force && !a.confirm(msg) {
				return nil
			}
			return a.pruneImages(cmd, e, all)
		},
	}
	c.Flags().BoolVarP(&all, "all", "a", false, "remove all images not used by a container, not just dangling ones")
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	return c
}

func asJSONMap(v any) any {
	b, _ := json.Marshal(v)
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func asJSONMaps(vs []any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = asJSONMap(v)
	}
	return out
}

// pruneImages removes unused images and reports them as docker does.
func (a *app) pruneImages(cmd *cobra.Command, e *engine.Engine, all bool) error {
	ids, freed, err := e.PruneImages(cmd.Context(), all)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		fmt.Fprintln(a.stdout, "Deleted Images:")
		for _, id := range ids {
			fmt.Fprintf(a.stdout, "deleted: %s\n", id)
		}
		fmt.Fprintln(a.stdout)
	}
	fmt.Fprintf(a.stdout, "Total reclaimed space: %s\n", humanSize(freed))
	return nil
}
