package layer

import "fmt"

// Error names the layer and the entry an apply failed on.
type Error struct {
	Layer string // digest or file the layer came from
	Path  string // entry name in the tar, as written there
	Err   error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("layer %s: %v", e.Layer, e.Err)
	}
	return fmt.Sprintf("layer %s: %s: %v", e.Layer, e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
