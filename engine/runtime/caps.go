package runtime

import (
	"fmt"
	"strings"

	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func capList(names []string) ([]capability.Cap, error) {
	byName := map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		byName["CAP_"+strings.ToUpper(c.String())] = c
	}
	last, _ := capability.LastCap()
	var out []capability.Cap
	for _, n := range names {
		c, ok := byName[strings.ToUpper(n)]
		if !ok {
			return nil, fmt.Errorf("unknown capability %q", n)
		}
		if c <= last { // the kernel may know fewer than the library
			out = append(out, c)
		}
	}
	return out, nil
}

// dropBounding removes from the bounding set every capability not in
// pc.Bounding. It needs CAP_SETPCAP, so it runs before the user switch.
func dropBounding(pc *specs.LinuxCapabilities) error {
	c, err := capability.NewPid2(0)
	if err != nil {
		return err
	}
	if err := c.Load(); err != nil {
		return err
	}
	bound, err := capList(pc.Bounding)
	if err != nil {
		return err
	}
	c.Clear(capability.BOUNDS)
	c.Set(capability.BOUNDS, bound...)
	return c.Apply(capability.BOUNDS)
}

// applyCaps sets the effective, permitted, inheritable and ambient sets of
// the calling thread, which must be the one that execs.
func applyCaps(pc *specs.LinuxCapabilities) error {
	c, err := capability.NewPid2(0)
	if err != nil {
		return err
	}
	if err := c.Load(); err != nil {
		return err
	}
	c.Clear(capability.CAPS | capability.AMBS)
	for which, names := range map[capability.CapType][]string{capability.EFFECTIVE: pc.Effective,
		capability.PERMITTED: pc.Permitted, capability.INHERITABLE: pc.Inheritable, capability.AMBIENT: pc.Ambient} {
		list, err := capList(names)
		if err != nil {
			return err
		}
		c.Set(which, list...)
	}
	return c.Apply(capability.CAPS | capability.AMBS)
}

// CapSet builds the OCI capability sets for a container holding names.
func CapSet(names []string) *specs.LinuxCapabilities {
	n := append([]string(nil), names...)
	return &specs.LinuxCapabilities{Bounding: n, Effective: n, Permitted: n, Inheritable: nil, Ambient: nil}
}

// AllCapabilities is what --privileged grants: every capability berth
// itself holds (a host may withhold some, CAP_SYS_RESOURCE on this CI).
func AllCapabilities() []string {
	var out []string
	last, _ := capability.LastCap()
	own, err := capability.NewPid2(0)
	if err == nil {
		err = own.Load()
	}
	for _, c := range capability.ListKnown() {
		if c <= last && (err != nil || own.Get(capability.PERMITTED, c)) {
			out = append(out, "CAP_"+strings.ToUpper(c.String()))
		}
	}
	return out
}

// KnownCapabilities names every capability, for validating --cap-add.
func KnownCapabilities() []string {
	var out []string
	for _, c := range capability.ListKnown() {
		out = append(out, "CAP_"+strings.ToUpper(c.String()))
	}
	return out
}
