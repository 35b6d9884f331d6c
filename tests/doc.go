// Package tests holds berth's end-to-end tests: they drive the real,
// statically built binary as a user would (subprocesses, tmux for
// terminals) against a store in a temp dir, and run real containers. They
// need root and skip with the reason otherwise.
package tests
