// Package monitor supervises one container for its whole life: it starts
// the init through the runtime, holds the PTY master or the stdio pipes,
// writes the log (JSON lines, size-rotated), serves attach and resize on a
// unix socket, applies the restart policy and records the exit (code, OOM
// kill, time) atomically in state.json.
//
// `berth run -d` runs it in a re-executed, detached berth process, so
// containers outlive the CLI and the TUI; a foreground `berth run` runs it
// in-process with the user's terminal as one more attached client. It must
// never decide what to run: the engine hands it a finished runtime config.
package monitor
