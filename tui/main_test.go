package tui

import (
	"testing"

	"berth/internal/testbin"
)

// TestMain removes the static berth the container tests build.
func TestMain(m *testing.M) { testbin.Main(m) }
