package main

import (
	"fmt"
	"text/tabwriter"

	"berth/tui"
)

// tuiRows reports TUI costs measured in-process: there is no peer tool
// that renders the same screen, so they are shown against their budgets.
func tuiRows(tw *tabwriter.Writer) {
	d := tui.FrameCost(1000, 500, 200)
	fmt.Fprintf(tw, "TUI frame, 1000 containers + 500 images\t%.2fms\tbudget\t5ms\t%.2f\n", float64(d.Microseconds())/1000, float64(d.Microseconds())/5000)
}
