// Command bench is berth's benchmark harness: it times berth and a peer tool
// on the same work in one run and prints `operation  berth  peer  ratio`
// (ratio = berth/peer; below 1 means berth is faster). `make bench` runs it.
//
// Each timing is the median of several runs of a fresh process, with the
// setup (creating inputs, emptying targets) outside the timed part.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

var (
	berthBin = flag.String("berth", "./berth", "berth binary to time")
	workDir  = flag.String("work", ".bench", "scratch directory (recreated)")
	sizeMB   = flag.Int("size", 200, "size of the layer benchmarks' tree in MB")
	runs     = flag.Int("runs", 3, "timed runs per tool (the median is reported)")
	only     = flag.String("only", "", "run only rows whose name contains this")
)

// row is one benchmark line: the same work done by berth and by a peer.
type row struct {
	name     string
	setup    func() error             // once, untimed
	reset    func() error             // before every timed run, untimed
	teardown func()                   // once, after the row
	subst    func() map[string]string // placeholders filled in after setup
	berth    []string                 // command timed for berth
	peers    map[string][]string
}

func main() {
	flag.Parse()
	bin, err := filepath.Abs(*berthBin)
	if err != nil {
		fail(err)
	}
	if _, err := os.Stat(bin); err != nil {
		fail(fmt.Errorf("berth binary %s: %w (run `make build` first)", bin, err))
	}
	os.RemoveAll(*workDir)
	if err := os.MkdirAll(*workDir, 0o755); err != nil {
		fail(err)
	}
	defer os.RemoveAll(*workDir)
	// Stores made here own bridges; they go with the stores.
	defer func() {
		roots, _ := filepath.Glob(filepath.Join(*workDir, "berth*root"))
		for _, r := range roots {
			exec.Command(bin, "--root", r, "__teardown-networks").Run()
		}
		for _, fn := range atExit {
			fn()
		}
	}()
	w, _ := filepath.Abs(*workDir)
	tw := tabwriter.NewWriter(os.Stdout, 8, 1, 2, ' ', 0)
	fmt.Fprintln(tw, "operation\tberth\tpeer\tpeer time\tratio")
	rows := layerRows(bin, w, *sizeMB)
	if os.Geteuid() == 0 {
		rows = append(rows, containerRows(bin, w)...)
		rows = append(rows, networkRows(bin, w)...)
		rows = append(rows, registryRows(bin, w)...)
		rows = append(rows, buildRows(bin, w)...)
	} else {
		fmt.Fprintln(os.Stderr, "bench: container rows need root; skipped")
	}
	for _, r := range rows {
		if *only != "" && !strings.Contains(r.name, *only) {
			continue
		}
		if err := runRow(tw, r); err != nil {
			fmt.Fprintf(tw, "%s\terror: %v\n", r.name, err)
		}
	}
	if *only == "" || strings.Contains("TUI frame", *only) {
		tuiRows(tw)
	}
	if os.Geteuid() == 0 && (*only == "" || strings.Contains("TUI process", *only)) {
		tuiProcessRows(tw, bin, w)
	}
	tw.Flush()
}

// atExit holds cleanups of state rows share outside the work directory
// (podman's and buildah's short runroots under /tmp), run whichever rows ran.
var atExit []func()

func runRow(tw *tabwriter.Writer, r row) error {
	if r.teardown != nil {
		defer r.teardown()
	}
	if r.setup != nil {
		if err := r.setup(); err != nil {
			return err
		}
	}
	if r.subst != nil {
		subst := r.subst()
		fill := func(cmd []string) []string {
			out := append([]string(nil), cmd...)
			for i := range out {
				for k, v := range subst {
					out[i] = strings.ReplaceAll(out[i], k, v)
				}
			}
			return out
		}
		r.berth = fill(r.berth)
		for k, v := range r.peers {
			r.peers[k] = fill(v)
		}
	}
	bt, err := median(r.berth, r.reset)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(r.peers))
	for n := range r.peers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cmd := r.peers[n]
		if _, err := exec.LookPath(cmd[0]); err != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\tnot installed\t-\n", r.name, ms(bt), n)
			continue
		}
		pt, err := median(cmd, r.reset)
		if err != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\terror: %v\t-\n", r.name, ms(bt), n, err)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\n", r.name, ms(bt), n, ms(pt), float64(bt)/float64(pt))
	}
	return nil
}

func median(cmd []string, reset func() error) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i < *runs; i++ {
		if reset != nil {
			if err := reset(); err != nil {
				return 0, err
			}
		}
		args := append([]string(nil), cmd...)
		for i, a := range args {
			if refFn != nil {
				args[i] = strings.ReplaceAll(a, "REF", refFn())
			}
		}
		c := exec.Command(args[0], args[1:]...)
		var stderr strings.Builder
		c.Stderr = &stderr
		start := time.Now()
		if err := c.Run(); err != nil {
			return 0, fmt.Errorf("%s: %v: %s", strings.Join(cmd, " "), err, strings.TrimSpace(stderr.String()))
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2], nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d.Microseconds())/1000) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
