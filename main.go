// berth is a container workstation for the terminal: with no arguments it
// opens the TUI; with a subcommand it is a docker-style CLI. Both drive the
// same embedded engine; there is no daemon.
package main

import (
	"os"

	"berth/cli"
	"berth/tui"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], tui.Run))
}
