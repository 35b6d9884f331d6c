package store

import "fmt"

// Check verifies the store's invariant: the index parses and every blob any
// entry reaches is present and matches its digest. It returns one error per
// broken entry; an empty slice means the store is consistent.
func (s *Store) Check() []error {
	ix, err := s.ReadIndex()
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, m := range ix.Manifests {
		if err := s.checkComplete(m); err != nil {
			errs = append(errs, fmt.Errorf("image %q (%s): %w", Ref(m), m.Digest, err))
		}
	}
	return errs
}
