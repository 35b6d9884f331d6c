// Package network gives containers their network: named networks backed by
// Linux bridges (the default one is berth0), an address per container kept
// across restarts, a veth pair into the container's network namespace,
// published ports through a userspace proxy, and the /etc/hosts entries by
// which containers on a user-defined network find each other.
//
// Subnets come from 198.18.0.0/15, the range set aside for network test
// beds, skipping any the host already routes. It must never touch an
// interface or route it did not create.
package network
