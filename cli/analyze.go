package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func analyzeCmd(a *app) *cobra.Command {
	var ci, asJSON bool
	var lowestEff, highestWastedPct float64
	var highestWasted string
	c := &cobra.Command{
		Use:   "analyze [OPTIONS] IMAGE",
		Short: "Show how much of an image's layers is wasted (dive-style); --ci gates on thresholds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := a.engine()
			if err != nil {
				return err
			}
			r, err := e.AnalyzeImage(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				b, _ := json.MarshalIndent(r, "", "  ")
				fmt.Fprintln(a.stdout, string(b))
			} else {
				fmt.Fprintf(a.stdout, "Image efficiency: %.2f%%\nWasted space: %s of %s\n", r.Efficiency*100, humanSize(r.WastedBytes), humanSize(r.TotalBytes))
				fmt.Fprintln(a.stdout, "\nLayers:")
				for i, l := range r.Layers {
					fmt.Fprintf(a.stdout, "  %d  %9s  %s\n", i, humanSize(l.Size), l.CreatedBy)
				}
				if len(r.Wasted) > 0 {
					fmt.Fprintln(a.stdout, "\nWasted (hidden by later layers):")
					for i, w := range r.Wasted {
						if i == 20 {
							fmt.Fprintf(a.stdout, "  ... and %d more\n", len(r.Wasted)-20)
							break
						}
						fmt.Fprintf(a.stdout, "  %9s  %d version(s)  %s\n", humanSize(w.Bytes), w.Count, w.Path)
					}
				}
			}
			if !ci {
				return nil
			}
			var fails []string
			if r.Efficiency < lowestEff {
				fails = append(fails, fmt.Sprintf("efficiency %.2f%% is below %.2f%%", r.Efficiency*100, lowestEff*100))
			}
			if highestWasted != "" {
				max, err := parseSize(highestWasted)
				if err != nil {
					return usageError(fmt.Errorf("--highest-wasted-bytes: %w", err))
				}
				if r.WastedBytes > max {
					fails = append(fails, fmt.Sprintf("wasted %s is over %s", humanSize(r.WastedBytes), humanSize(max)))
				}
			}
			if r.TotalBytes > 0 && float64(r.WastedBytes)/float64(r.TotalBytes) > highestWastedPct {
				fails = append(fails, fmt.Sprintf("wasted %.2f%% of the image is over %.2f%%", float64(r.WastedBytes)/float64(r.TotalBytes)*100, highestWastedPct*100))
			}
			for _, f := range fails {
				fmt.Fprintln(a.stdout, "FAIL:", f)
			}
			if len(fails) > 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("image %s fails %d analysis rule(s)", args[0], len(fails))}
			}
			fmt.Fprintln(a.stdout, "PASS")
			return nil
		},
	}
	c.Flags().BoolVar(&ci, "ci", false, "exit non-zero when a threshold is crossed")
	c.Flags().BoolVar(&asJSON, "json", false, "print the analysis as JSON")
	c.Flags().Float64Var(&lowestEff, "lowest-efficiency", 0.9, "--ci: lowest efficiency allowed (0-1)")
	c.Flags().StringVar(&highestWasted, "highest-wasted-bytes", "", "--ci: most wasted bytes allowed (e.g. 20MB)")
	c.Flags().Float64Var(&highestWastedPct, "highest-user-wasted-percent", 0.1, "--ci: most wasted share of the image allowed (0-1)")
	return c
}

func parseSize(s string) (int64, error) {
	var n float64
	var unit string
	if _, err := fmt.Sscanf(s, "%f%s", &n, &unit); err != nil {
		if _, err := fmt.Sscanf(s, "%f", &n); err != nil {
			return 0, fmt.Errorf("invalid size %q", s)
		}
	}
	mult := map[string]float64{"": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("invalid size %q: units are B, kB, MB, GB", s)
	}
	return int64(n * mult), nil
}
