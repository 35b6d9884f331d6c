// Package units formats sizes and durations the way docker prints them,
// for the CLI and the TUI alike.
package units

import "fmt"

// HumanSize prints decimal units with three significant digits (4.26MB).
func HumanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}
