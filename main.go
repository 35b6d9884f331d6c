// berth is a container workstation for the terminal: with no arguments it
// opens the TUI; with a subcommand it is a docker-style CLI. Both drive the
// same embedded engine; there is no daemon.
package main

import (
	"os"

	"berth/cli"
	"berth/engine/runtime"
	"berth/tui"
)

func main() {
	// The runtime re-executes this binary as a container's init and as the
	// last step before a container process: dispatch those before anything
	// else starts, to keep container start fast.
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "__init":
			runtime.InitMain()
		case "__exec":
			runtime.ExecMain()
		}
	}
	os.Exit(cli.Execute(os.Args[1:], tui.Run))
}
