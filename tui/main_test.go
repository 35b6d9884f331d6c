package tui

import (
	"os"
	"testing"

	"berth/internal/testbin"
)

// TestMain removes the static berth the container tests build.
func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Cleanup()
	os.Exit(code)
}
